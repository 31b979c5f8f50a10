import type { Logger } from '../logger.js';
import type { DomainEvent } from '../services/domainEvents.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { Notifier } from './notification.js';

/** A policy import with hundreds of changes still makes one readable message. */
const MAX_LINES = 20;

/**
 * Audit Trail and Approver management notifications: a policy import that changed users,
 * groups, devices, rules, channels or settings is announced to the audit channel, and each
 * person who became (or stopped being) an approver is announced to the approvals channel and
 * told by DM.
 */
export function routePolicyNotifications(deps: ServiceDeps, notifier: Notifier, logger: Logger): () => void {
  return deps.events.subscribe(async (event) => {
    if (event.type !== 'policy.imported') return;
    try {
      await announceImport(notifier, event);
    } catch (error) {
      logger.error({ err: error, event: event.type }, 'could not queue the notifications of a policy import');
    }
  });
}

async function announceImport(notifier: Notifier, event: Extract<DomainEvent, { type: 'policy.imported' }>): Promise<void> {
  const shown = event.lines.slice(0, MAX_LINES);
  const more = event.lines.length - shown.length;
  await notifier.notify({
    type: 'audit.trail',
    audience: [{ role: 'audit' }],
    data: {
      actor: event.actor,
      details: {
        eventType: 'IMPORT',
        class: 'POLICY',
        object: event.source,
        status: 'S',
        summary: [...shown, ...(more > 0 ? [`... and ${more} more (see the audit trail)`] : [])].join('\n'),
      },
    },
  });
  for (const change of event.approverChanges) {
    await notifier.notify({
      type: 'access.approver_management',
      audience: [{ role: 'approvals' }, { user: change.user }],
      data: { actor: event.actor, details: { user: change.user, group: change.group, action: change.action } },
    });
  }
}
