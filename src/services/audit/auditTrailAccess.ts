import type { PolicyUser } from '../../domain/policy/policy.js';
import type { ChainVerification } from '../../domain/audit/verifyChain.js';
import type { AuditRecord } from '../../domain/audit/auditRecord.js';
import type { AuditQuery } from '../../store/auditRepository.js';
import type { Actor } from '../actor.js';
import { requireCapability } from '../access/requireCapability.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { exportAuditTrail, type ExportFormat } from './auditExport.js';

/** A page of the trail, for auditors. */
export async function listAuditTrail(deps: ServiceDeps, user: PolicyUser, query: AuditQuery): Promise<{ records: AuditRecord[]; total: number }> {
  requireCapability(user, 'viewAuditTrail');
  return deps.store.audit.list(query);
}

export async function verifyAuditTrail(deps: ServiceDeps, user: PolicyUser): Promise<ChainVerification> {
  requireCapability(user, 'viewAuditTrail');
  return deps.audit.verify();
}

/** The trail (or a filtered part) as CSV or JSON, streamed; the export itself goes on record first. */
export async function exportAuditTrailFor(
  deps: ServiceDeps,
  user: PolicyUser,
  actor: Actor,
  format: ExportFormat,
  query: Omit<AuditQuery, 'limit' | 'offset'>,
): Promise<AsyncGenerator<string>> {
  requireCapability(user, 'viewAuditTrail');
  const filters = Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value instanceof Date ? value.toISOString() : String(value)}`);
  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'EXPORT',
    class: 'AUDIT',
    details: `audit trail as ${format}${filters.length ? ` (${filters.join(', ')})` : ''}`,
  });
  return exportAuditTrail(deps.store.audit, format, query);
}
