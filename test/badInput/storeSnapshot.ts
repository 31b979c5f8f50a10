import { expect } from 'vitest';
import type { ChainVerification } from '../../src/domain/audit/verifyChain.js';
import { AuditTrail } from '../../src/services/audit/auditTrail.js';
import type { Store } from '../../src/store/store.js';

/**
 * What "the data is intact" means for a refused input: the same changes (same versions), the
 * same policy, no new outbox rows, and an audit chain that still verifies. The trail may only
 * grow by denial records (status D) when the refusal is itself audited (a refused approval).
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
export async function expectIntact(store: Store, before: StoreSnapshot, options: { auditedRefusals?: number } = {}): Promise<void> {
  const after = await takeSnapshot(store);
  expect(after.changes, 'changes').toBe(before.changes);
  expect(after.policy, 'policy').toBe(before.policy);
  expect(after.outbox, 'outbox rows').toBe(before.outbox);
  const added = (await store.audit.list({ offset: before.auditCount, limit: 100 })).records;
  expect(added.map((r) => r.status), 'new audit records').toEqual(Array.from({ length: options.auditedRefusals ?? 0 }, () => 'D'));
  expect(await verifyAudit(store), 'audit chain').toMatchObject({ ok: true });
}
