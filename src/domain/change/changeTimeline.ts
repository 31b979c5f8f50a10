import type { Change } from './change.js';

/** The moments in a change's life at which something must happen without anyone asking. */
export const TIMED_STEPS = ['approval-reminder', 'approval-expire', 'window-open', 'window-expiring', 'window-close'] as const;
export type TimedStep = (typeof TIMED_STEPS)[number];

export interface TimelineSettings {
  /** How long before the window's end the requester is warned (when sessions are still open). */
  readonly expiringLeadMs: number;
  /** How often approvers are reminded of a request still waiting for them. */
  readonly reminderEveryMs: number;
}

export interface ScheduledStep {
  readonly step: TimedStep;
  readonly at: Date;
  /** Repeats every `ms` after `at`, never after `until`. */
  readonly repeat?: { readonly everyMs: number; readonly until: Date } | undefined;
}

export interface ChangeTimeline {
  /** Steps that must run at these times (replacing any earlier plan for them). */
  readonly schedule: readonly ScheduledStep[];
  /** Steps that no longer apply to the change in its current state. */
  readonly cancel: readonly TimedStep[];
}

/** When the current request for approval began: filing, or the last reschedule. */
export function approvalRequestedAt(change: Change): Date {
  return change.approvalRound?.startedAt ?? change.createdAt;
}

/**
 * Until when a request may wait for approval: the window's start. A change filed (or moved)
 * when its window had already begun keeps the whole window, since approving it is still
 * allowed until the window's end; expiring it at once would make urgent changes impossible.
 */
export function approvalDeadline(change: Change): Date {
  return change.windowStart.getTime() > approvalRequestedAt(change).getTime() ? change.windowStart : change.windowEnd;
}

/** When the requester is warned that the window ends soon; null when the window is shorter than the lead. */
export function expiringWarningAt(change: Change, expiringLeadMs: number): Date | null {
  const at = change.windowEnd.getTime() - expiringLeadMs;
  return at > change.windowStart.getTime() ? new Date(at) : null;
}

/**
 * What must be scheduled, and what must no longer run, for a change in its current state.
 * Computed from the state alone, so applying it twice (or after a restart) gives the same plan.
 */
export function changeTimeline(change: Change, settings: TimelineSettings): ChangeTimeline {
  const plan = (schedule: ScheduledStep[]): ChangeTimeline => ({
    schedule,
    cancel: TIMED_STEPS.filter((step) => !schedule.some((s) => s.step === step)),
  });
  switch (change.status) {
    case 'pending_approval': {
      const deadline = approvalDeadline(change);
      const firstReminder = new Date(approvalRequestedAt(change).getTime() + settings.reminderEveryMs);
      return plan([
        ...(firstReminder < deadline
          ? [{ step: 'approval-reminder' as const, at: firstReminder, repeat: { everyMs: settings.reminderEveryMs, until: deadline } }]
          : []),
        { step: 'approval-expire', at: deadline },
      ]);
    }
    case 'approved':
    case 'in_progress': {
      const warning = expiringWarningAt(change, settings.expiringLeadMs);
      return plan([
        { step: 'window-open', at: change.windowStart },
        ...(warning ? [{ step: 'window-expiring' as const, at: warning }] : []),
        { step: 'window-close', at: change.windowEnd },
      ]);
    }
    default:
      // Final: nothing more happens to it.
      return plan([]);
  }
}
