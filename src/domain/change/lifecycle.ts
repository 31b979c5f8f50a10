import type { ChangeStatus } from './changeStatus.js';

/**
 * Every way a change's status can move, in one table. Anything not listed is forbidden;
 * services never assign a status directly, they ask `transition()`.
 */
export const LIFECYCLE = {
  approve: { from: ['pending_approval'], to: 'approved' },
  reject: { from: ['pending_approval'], to: 'rejected' },
  // Revocation also cuts a change mid-window (live sessions are terminated by the caller).
  revoke: { from: ['approved', 'in_progress'], to: 'revoked' },
  // The requester may withdraw a change only before any work starts.
  cancel: { from: ['pending_approval', 'approved'], to: 'cancelled' },
  start: { from: ['approved'], to: 'in_progress' },
  complete: { from: ['in_progress'], to: 'completed' },
  markIncomplete: { from: ['in_progress'], to: 'incomplete' },
  // A new window must be approved again (four-eyes on the time too), so approvals are dropped.
  reschedule: { from: ['pending_approval', 'approved'], to: 'pending_approval' },
  // Likewise an edited title, description, server list or script: approvals never carry over.
  edit: { from: ['pending_approval', 'approved'], to: 'pending_approval' },
  // Not approved before the window's start, or approved but no session ever opened.
  expire: { from: ['pending_approval', 'approved'], to: 'expired' },
} as const satisfies Record<string, { from: readonly ChangeStatus[]; to: ChangeStatus }>;

export type ChangeEvent = keyof typeof LIFECYCLE;

export type TransitionResult =
  | { ok: true; from: ChangeStatus; to: ChangeStatus }
  | { ok: false; from: ChangeStatus; event: ChangeEvent; message: string };

export function transition(from: ChangeStatus, event: ChangeEvent): TransitionResult {
  const rule = LIFECYCLE[event];
  if ((rule.from as readonly ChangeStatus[]).includes(from)) {
    return { ok: true, from, to: rule.to };
  }
  return {
    ok: false,
    from,
    event,
    message: `cannot ${event} a change that is ${from.replace('_', ' ')}`,
  };
}

export function canTransition(from: ChangeStatus, event: ChangeEvent): boolean {
  return transition(from, event).ok;
}
