import { expect } from 'vitest';
import type { ChainVerification } from '../../src/domain/audit/verifyChain.js';
import { AuditTrail } from '../../src/services/audit/auditTrail.js';
import type { Store } from '../../src/store/store.js';

/**
 * What "the data is intact" means for a refused input: the same changes (same versions), the
 * same policy, no new outbox rows, and an audit chain that still verifies. Audit records may
 * only grow by what `allowAudit` admits (a refusal that is itself audited, e.g. a forged
 * approval link), never by a change of state.
 */
export interface StoreSnapshot {
  readonly changes: string;
  readonly policy: string;
  readonly outbox: number;
  readonly auditCount: number;
}

export async function takeSnapshot(store: Store): Promise<StoreSnapshot> {
  const changes = await store.changes.list({ limit: 10_000 });
  const policy = await store.policy.load();
  const outbox = await store.outbox.list({ limit: 10_000 });
  const audit = await store.audit.list({ limit: 1 });
  return {
    changes: JSON.stringify(changes.map((c) => [c.code, c.status, c.version, c.title, c.script, c.approvals.length]).sort()),
    policy: JSON.stringify(policy),
    outbox: outbox.length,
    auditCount: audit.total,
  };
}

export async function verifyAudit(store: Store): Promise<ChainVerification> {
  return new AuditTrail(store.audit, () => new Date()).verify();
}

/** Asserts nothing a refusal must not touch has moved since `before`. */
export async function expectIntact(store: Store, before: StoreSnapshot, options: { auditRecordsAllowed?: number } = {}): Promise<void> {
  const after = await takeSnapshot(store);
  expect(after.changes, 'changes').toBe(before.changes);
  expect(after.policy, 'policy').toBe(before.policy);
  expect(after.outbox, 'outbox rows').toBe(before.outbox);
  expect(after.auditCount - before.auditCount, 'new audit records').toBeLessThanOrEqual(options.auditRecordsAllowed ?? 0);
  expect(await verifyAudit(store), 'audit chain').toMatchObject({ ok: true });
}
