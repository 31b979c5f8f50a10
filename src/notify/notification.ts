import type { Risk } from '../domain/policy/policy.js';
import type { Verdict } from '../domain/rules/verdict.js';

/**
 * The catalogue (reference/notifications.txt): every notification changeguard raises. Each
 * type has a template under templates/slack/<type>.hbs and a plain-text fallback.
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
  // Audit trail
  'audit.trail',
  // Command Audit
  'command.allow',
  'command.block',
  'command.block_interrupt',
  'command.high_criticality',
  'command.medium_criticality',
  'command.low_criticality',
  // Remote Session
  'session.started',
  'session.terminated',
  'session.high_risk',
  'session.account_locked',
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

/** Who gets it: a policy channel role, a policy user (by DM), or a literal Slack channel id. */
export type Audience =
  | { readonly role: 'approvals' | 'security' | 'audit' }
  | { readonly user: string }
  | { readonly slackChannel: string };

export interface ChangeSummary {
  readonly code: string;
  readonly title: string;
  readonly requester: string;
  readonly group: string;
  readonly devices: readonly string[];
  readonly status: string;
  readonly windowStart: string;
  readonly windowEnd: string;
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

/** Where notifications go: Slack when configured, otherwise the outbox shown on the web. */
export interface Notifier {
  notify(notification: Notification): Promise<void>;
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
  };
}
