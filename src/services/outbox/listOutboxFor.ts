import type { PolicyUser } from '../../domain/policy/policy.js';
import type { OutboxMessage, OutboxStatus } from '../../store/outboxRepository.js';
import { requireCapability } from '../access/requireCapability.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** The notification outbox, newest first, for admins and auditors. */
export async function listOutboxFor(
  deps: ServiceDeps,
  user: PolicyUser,
  query: { statuses?: readonly OutboxStatus[] | undefined; limit: number; offset: number },
): Promise<{ messages: OutboxMessage[]; hasMore: boolean }> {
  requireCapability(user, 'viewOutbox');
  const rows = await deps.store.outbox.list({ statuses: query.statuses, limit: query.limit + 1, offset: query.offset });
  return { messages: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
}
