import type { PolicyGroup } from '../policy/policy.js';
import type { Change } from './change.js';
import { approvalDeadline, approvalRequestedAt } from './changeTimeline.js';

export interface ReminderSettings {
  readonly everyMs: number;
  /** Reminders after this many also go to the group's channel. */
  readonly escalateAfter: number;
}

export type ReminderDecision =
  | { readonly due: false; readonly reason: 'not_pending' | 'deadline_passed' | 'not_yet' | 'already_sent' | 'nobody_to_remind' }
  | {
      readonly due: true;
      /** 1 for the first reminder of the current request, 2 for the second... */
      readonly number: number;
      readonly escalate: boolean;
      /** Approvers whose approval is still missing. */
      readonly waitingFor: readonly string[];
    };

/**
 * Reminder N is due once N intervals have passed since the request began. Counting slots
 * rather than measuring from the last reminder makes a duplicate run (a retry, a second
 * process) find its slot taken, and a run delayed past several slots send one reminder.
 */
export function decideApprovalReminder(change: Change, group: PolicyGroup, now: Date, settings: ReminderSettings): ReminderDecision {
  if (change.status !== 'pending_approval') return { due: false, reason: 'not_pending' };
  if (now.getTime() >= approvalDeadline(change).getTime()) return { due: false, reason: 'deadline_passed' };
  const slot = Math.floor((now.getTime() - approvalRequestedAt(change).getTime()) / settings.everyMs);
  if (slot < 1) return { due: false, reason: 'not_yet' };
  if (slot <= (change.approvalRound?.reminders ?? 0)) return { due: false, reason: 'already_sent' };
  const approved = new Set(change.approvals.filter((a) => a.scriptHash === change.scriptHash).map((a) => a.approver));
  const waitingFor = group.approvers.filter((id) => id !== change.requester && !approved.has(id));
  if (waitingFor.length === 0) return { due: false, reason: 'nobody_to_remind' };
  return { due: true, number: slot, escalate: slot > settings.escalateAfter, waitingFor };
}
