import type { Risk } from '../policy/policy.js';
import type { Verdict } from '../rules/verdict.js';

/**
 * The catalogue (docs/DESIGN.md, "Notifications"): every notification changeguard raises.
 * Each type has a template under templates/slack/<type>.hbs and a plain-text fallback.
 */
export const NOTIFICATION_TYPES = [
  // Access Control
  'access.request_created',
  'access.request_approved',
  'access.request_disapproved',
  'access.request_revoked',
  'access.request_cancelled',
  'access.request_expired',
  'access.approval_reminder',
  'access.approver_management',
  /** A change was filed or moved onto the same servers at the same time as another: its people are told. */
  'access.change_overlap',
  // Audit trail
  'audit.trail',
  /** The audit chain's head (seq and hash), posted on a schedule: evidence kept outside the store. */
  'audit.anchor',
  // Command Audit
  'command.allow',
  'command.block',
  'command.block_interrupt',
  'command.high_criticality',
  'command.medium_criticality',
  'command.low_criticality',
  // Deviation approval: a command a review rule holds, posted in the change's thread
  'deviation.requested',
  'deviation.decided',
  // Remote Session
  'session.started',
  'session.terminated',
  'session.high_risk',
  'session.account_locked',
  'session.account_unlocked',
  'session.host_key_mismatch',
  // Change window (scheduler)
  'window.opened',
  'window.expiring',
  'window.closed',
  // Schedule Reports
  'schedule.report_created',
  'schedule.report_updated',
  'schedule.report_deleted',
  'schedule.report',
] as const;

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/**
 * Thread replies that happen many times within one version of a change (one per deviation
 * request): their reply is keyed by the notification's own dedupe key, not by the change
 * version alone, so the second request of a version is posted too.
 */
export const REPEATED_THREAD_REPLIES: ReadonlySet<NotificationType> = new Set<NotificationType>(['deviation.requested', 'deviation.decided']);

/**
 * Who gets it: a policy channel role, a policy user (by DM), a literal Slack channel id, or
 * every posted copy of a change request (each edited in place, with a reply in its thread).
 */
export type Audience =
  | { readonly role: 'approvals' | 'security' | 'audit' }
  | { readonly user: string }
  | { readonly slackChannel: string }
  | { readonly requestCopies: string };

export interface ChangeSummary {
  readonly code: string;
  readonly title: string;
  readonly requester: string;
  readonly group: string;
  readonly devices: readonly string[];
  readonly status: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  /** The change's version this summary was taken at: a copy is refreshed once per version. */
  readonly version?: number | undefined;
}

/** What templates may use. Everything user-supplied is escaped by the renderer. */
export interface NotificationData {
  readonly change?: ChangeSummary | undefined;
  readonly actor?: string | undefined;
  readonly reason?: string | undefined;
  readonly session?:
    | { readonly id: string; readonly user: string; readonly device: string; readonly clientAddress: string; readonly justification?: string | undefined }
    | undefined;
  readonly command?:
    | { readonly line: string; readonly verdict: Verdict; readonly rules: readonly string[]; readonly risk: Risk | null; readonly reason?: string | undefined }
    | undefined;
  /** Link to the relevant web page. */
  readonly url?: string | undefined;
  /** Free-form extras a specific template documents (counts, outcome, report sections). */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

export interface Notification {
  readonly type: NotificationType;
  readonly audience: readonly Audience[];
  readonly data: NotificationData;
  /**
   * Same key, same message: a retried job or a second process raising the same notification
   * does not post it twice.
   */
  readonly dedupeKey?: string | undefined;
}

export function summariseChange(change: {
  code: string;
  title: string;
  requester: string;
  group: string;
  devices: readonly string[];
  status: string;
  windowStart: Date;
  windowEnd: Date;
  version?: number;
}): ChangeSummary {
  return {
    code: change.code,
    title: change.title,
    requester: change.requester,
    group: change.group,
    devices: change.devices,
    status: change.status,
    windowStart: change.windowStart.toISOString(),
    windowEnd: change.windowEnd.toISOString(),
    ...(change.version !== undefined && { version: change.version }),
  };
}
