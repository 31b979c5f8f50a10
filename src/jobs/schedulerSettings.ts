import { hostname } from 'node:os';

export interface SchedulerSettings {
  /** How long before a window's end the requester is warned (when sessions are open). */
  readonly expiringLeadMs: number;
  /** How often approvers are reminded of a request waiting for them. */
  readonly reminderEveryMs: number;
  /** Reminders after this many also go to the group's channel. */
  readonly escalateAfter: number;
  /** How often Agenda looks for due jobs (jobs due sooner are run on a timer). */
  readonly processEveryMs: number;
  /** A job locked longer than this is presumed dead with its process and run again elsewhere. */
  readonly lockLifetimeMs: number;
  /** Failed runs are retried after firstDelayMs, then twice as long each time, maxRetries times. */
  readonly retry: { readonly firstDelayMs: number; readonly maxRetries: number };
  /** How often the audit chain's head is posted to the audit channel (when it moved). */
  readonly anchorEveryMs: number;
  /** On shutdown, how long running jobs may take to finish. */
  readonly shutdownGraceMs: number;
  /** Names this process in job locks (`lastModifiedBy`). */
  readonly instanceName: string;
}

const MINUTE = 60_000;

export const DEFAULT_SCHEDULER_SETTINGS: SchedulerSettings = {
  expiringLeadMs: 15 * MINUTE,
  reminderEveryMs: 4 * 60 * MINUTE,
  escalateAfter: 2,
  processEveryMs: 5000,
  lockLifetimeMs: 5 * MINUTE,
  retry: { firstDelayMs: 30_000, maxRetries: 5 },
  shutdownGraceMs: 30_000,
  anchorEveryMs: 60 * MINUTE,
  instanceName: `${hostname()}:${process.pid}`,
};
