import type { Change } from '../change/change.js';
import type { PolicyChannels, PolicyGroup } from '../policy/policy.js';
import type { ScriptAudit } from '../scriptAudit/scriptAudit.js';
import { AUDIT, requestAudience, requestCopies, requester } from './audiences.js';
import { summariseChange, type Notification, type NotificationData, type NotificationType } from './catalogue.js';

/** What happened to a change, as far as the people around it are told. */
export type ChangeNoticeEvent =
  | { readonly kind: 'filed' }
  | { readonly kind: 'approval_recorded'; readonly approver: string }
  | { readonly kind: 'rejected' }
  | { readonly kind: 'revoked' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'expired'; readonly previousStatus: Change['status'] }
  | { readonly kind: 'started' }
  | { readonly kind: 'rescheduled' }
  | { readonly kind: 'edited' }
  /** The window closed (or the requester finished early): completed, incomplete, or expired unused. */
  | { readonly kind: 'closed'; readonly audit: ScriptAudit | null; readonly terminatedSessions: number; readonly previousStatus: Change['status'] };

/**
 * The notifications a change's step raises, from the change as it is after the step: the
 * request to its reviewers when filed; then every posted copy of the request is refreshed and
 * gets a reply in its thread, and the requester hears of each outcome by DM. Keys make a
 * repeated step (a retried job, a second process) raise nothing twice.
 */
export function changeNotices(event: ChangeNoticeEvent, change: Change, group: PolicyGroup | undefined, channels: PolicyChannels): Notification[] {
  const summary = summariseChange(change);
  const base: NotificationData = { change: summary };
  const needed = Math.max(1, group?.approvals ?? 1);
  const currentApprovals = change.approvals.filter((a) => a.scriptHash === change.scriptHash);
  const copies = (type: NotificationType | null, data: NotificationData): Notification => ({
    // A refresh alone is asked for with the request's own type.
    type: type ?? 'access.request_created',
    audience: requestCopies(change),
    data,
    dedupeKey: `${change.code}:v${change.version}`,
  });
  const outcome = (type: NotificationType, data: NotificationData): Notification => ({
    type,
    audience: requester(change),
    data,
    dedupeKey: `outcome:${change.code}:${change.status}`,
  });
  const expiredNotices = (previousStatus: Change['status']): Notification[] => {
    const data = { ...base, details: { previousStatus } };
    return [copies('access.request_expired', data), outcome('access.request_expired', data)];
  };
  switch (event.kind) {
    case 'filed':
      return [{ type: 'access.request_created', audience: requestAudience(change, group, channels), data: { ...base, actor: change.requester }, dedupeKey: `request:${change.code}` }];
    case 'approval_recorded': {
      const approved = change.status === 'approved';
      const data = { ...base, actor: event.approver, details: { approvals: currentApprovals.length, needed, approved } };
      return [copies('access.request_approved', data), ...(approved ? [outcome('access.request_approved', data)] : [])];
    }
    case 'rejected': {
      const data = { ...base, actor: change.rejection?.by, reason: change.rejection?.reason };
      return [copies('access.request_disapproved', data), outcome('access.request_disapproved', data)];
    }
    case 'revoked': {
      const data = { ...base, actor: change.revocation?.by, reason: change.revocation?.reason };
      return [copies('access.request_revoked', data), outcome('access.request_revoked', data)];
    }
    case 'cancelled':
      // The requester did it: the reviewers hear of it in the threads, the requester needs no DM.
      return [copies('access.request_cancelled', { ...base, actor: change.cancellation?.by, reason: change.cancellation?.reason || undefined })];
    case 'expired':
      return expiredNotices(event.previousStatus);
    case 'started':
      // Every copy shows the change in progress.
      return [copies(null, base)];
    case 'rescheduled':
    case 'edited':
      // Every copy shows the change as it now is, pending again, and its reviewers (and the
      // group's channel) get a fresh request: earlier approvals no longer count. The requester
      // and the executors made the change and need no request.
      return [
        copies(null, base),
        {
          type: 'access.request_created',
          audience: requestAudience(change, group, channels).filter((a) => !('user' in a && (a.user === change.requester || change.executors?.includes(a.user)))),
          data: { ...base, actor: change.requester, details: { resubmitted: event.kind } },
          dedupeKey: `request:${change.code}:v${change.version}`,
        },
      ];
    case 'closed': {
      const counts = event.audit?.counts;
      const details = {
        status: change.status,
        // Worded as the change's own thread replies word it.
        outcome: (event.audit?.outcome ?? change.status).replaceAll('_', ' '),
        planned: counts?.planned ?? 0,
        // Planned lines that ran, as the template words it ("3 of 4 planned lines run").
        executed: counts ? counts.planned - counts.missing - counts.partial : 0,
        missing: counts?.missing ?? 0,
        partial: counts?.partial ?? 0,
        extra: counts?.extra ?? 0,
        blocked: counts?.blocked ?? 0,
        terminatedSessions: event.terminatedSessions,
      };
      return [
        ...(change.status === 'expired' ? expiredNotices(event.previousStatus) : [copies('window.closed', { ...base, details })]),
        // The audit channel gets every window's summary, also of a change that never ran.
        { type: 'window.closed', audience: [AUDIT], data: { ...base, details }, dedupeKey: `window.closed:${change.code}` },
      ];
    }
  }
}
