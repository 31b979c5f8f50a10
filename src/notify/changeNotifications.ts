import type { Change } from '../domain/change/change.js';
import type { Logger } from '../logger.js';
import type { DomainEvent } from '../services/domainEvents.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { SlackMessageCopy } from '../store/slackMessageRepository.js';
import { summariseChange, type Audience, type NotificationData, type NotificationType } from './notification.js';
import type { OutboxNotifier } from './outboxNotifier.js';

/**
 * Approval routing: a filed change goes to its approvers (DM each), its group's channel (or
 * the approvals channel) and its requester; every later step edits each posted copy in
 * place, adds a thread reply under it, and tells the requester the outcome.
 * Everything goes through the outbox, so a Slack outage delays these messages but loses none.
 */
export function routeChangeNotifications(deps: ServiceDeps, notifier: OutboxNotifier, logger: Logger): () => void {
  return deps.events.subscribe(async (event) => {
    try {
      await route(deps, notifier, event);
    } catch (error) {
      logger.error({ err: error, event: event.type }, 'could not queue the notifications of a change event');
    }
  });
}

async function route(deps: ServiceDeps, notifier: OutboxNotifier, event: DomainEvent): Promise<void> {
  if (!('change' in event)) return;
  const change = event.change;
  const needed = Math.max(1, (await deps.policies.group(change.group))?.approvals ?? 1);
  const base = { change: summariseChange(change) };
  const currentApprovals = change.approvals.filter((a) => a.scriptHash === change.scriptHash);

  switch (event.type) {
    case 'change.created':
      await notifier.notify({
        type: 'access.request_created',
        audience: await requestAudience(deps, change),
        data: { ...base, actor: change.requester },
        dedupeKey: `request:${change.code}`,
      });
      return;
    case 'change.approval_recorded':
      await updateCopies(deps, notifier, change, 'access.request_approved', {
        ...base,
        actor: event.approver,
        details: { approvals: currentApprovals.length, needed, approved: change.status === 'approved' },
      });
      return;
    case 'change.approved':
      await tellRequester(notifier, change, 'access.request_approved', {
        ...base,
        actor: currentApprovals.at(-1)?.approver,
        details: { approvals: currentApprovals.length, needed, approved: true },
      });
      return;
    case 'change.rejected': {
      const data = { ...base, actor: change.rejection?.by, reason: change.rejection?.reason };
      await updateCopies(deps, notifier, change, 'access.request_disapproved', data);
      await tellRequester(notifier, change, 'access.request_disapproved', data);
      return;
    }
    case 'change.revoked': {
      const data = { ...base, actor: change.revocation?.by, reason: change.revocation?.reason };
      await updateCopies(deps, notifier, change, 'access.request_revoked', data);
      await tellRequester(notifier, change, 'access.request_revoked', data);
      return;
    }
    case 'change.cancelled':
      // The requester did it: the approvers hear of it in the threads, the requester needs no DM.
      await updateCopies(deps, notifier, change, 'access.request_cancelled', {
        ...base,
        actor: change.cancellation?.by,
        reason: change.cancellation?.reason || undefined,
      });
      return;
    case 'change.expired': {
      const data = { ...base, details: { previousStatus: currentApprovals.length >= needed ? 'approved' : 'pending_approval' } };
      await updateCopies(deps, notifier, change, 'access.request_expired', data);
      await tellRequester(notifier, change, 'access.request_expired', data);
      return;
    }
    case 'change.started':
      await updateCopies(deps, notifier, change, null, base);
      return;
    // Rescheduled or edited: every copy shows the change as it now is, pending again, and the
    // approvers (and the group's channel) get a fresh request: earlier approvals no longer count.
    case 'change.rescheduled':
    case 'change.edited':
      await updateCopies(deps, notifier, change, null, base);
      await notifier.notify({
        type: 'access.request_created',
        audience: (await requestAudience(deps, change)).filter((a) => !('user' in a && a.user === change.requester)),
        data: { ...base, actor: change.requester, details: { resubmitted: event.type === 'change.edited' ? 'edited' : 'rescheduled' } },
        dedupeKey: `request:${change.code}:v${change.version}`,
      });
      return;
    case 'change.closed':
      await updateCopies(deps, notifier, change, 'window.closed', {
        ...base,
        details: {
          outcome: event.audit.outcome.replace(/_/g, ' '),
          planned: event.audit.counts.planned,
          executed: event.audit.counts.planned - event.audit.counts.missing - event.audit.counts.partial,
          partial: event.audit.counts.partial,
          missing: event.audit.counts.missing,
          extra: event.audit.counts.extra,
          blocked: event.audit.counts.blocked,
        },
      });
      return;
  }
}

/** The requester, each approver (by DM), and the group's channel or else the approvals channel. */
async function requestAudience(deps: ServiceDeps, change: Change): Promise<Audience[]> {
  const { policy } = await deps.policies.current();
  const group = policy.groups.find((g) => g.id === change.group);
  const audience: Audience[] = [{ user: change.requester }];
  for (const approver of group?.approvers ?? []) if (approver !== change.requester) audience.push({ user: approver });
  if (group?.channel) audience.push({ slackChannel: group.channel });
  else if (policy.channels.approvals) audience.push({ role: 'approvals' });
  return audience;
}

/** Each posted copy: edited in place (rendered from the change as stored), and a thread reply. */
async function updateCopies(
  deps: ServiceDeps,
  notifier: OutboxNotifier,
  change: Change,
  reply: NotificationType | null,
  data: NotificationData,
): Promise<void> {
  const copies: SlackMessageCopy[] = await deps.store.slackMessages.listByChange(change.code);
  for (const copy of copies) {
    const where = `${copy.channel}:${copy.ts}`;
    await notifier.refreshCopy(copy, { change: summariseChange(change) }, `refresh:${change.code}:v${change.version}|${where}`);
    if (reply) await notifier.notifyInThread(reply, data, copy, `reply:${change.code}:v${change.version}:${reply}|${where}`);
  }
}

async function tellRequester(notifier: OutboxNotifier, change: Change, type: NotificationType, data: NotificationData): Promise<void> {
  await notifier.notify({ type, audience: [{ user: change.requester }], data, dedupeKey: `outcome:${change.code}:${change.status}` });
}
