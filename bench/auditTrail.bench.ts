import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail } from '../src/services/audit/auditTrail.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import type { BenchRow } from './lib/benchRow.js';

/** Appends 100,000 records to a SQLite file (WAL), then verifies the whole chain. */
export async function benchAuditTrail(count = 100_000): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-bench-'));
  const store = SqliteStore.open(join(dir, 'bench.db'));
  try {
    const trail = new AuditTrail(store.audit, () => new Date());
    const actor = { userId: 'alice', terminal: 'proxy 127.0.0.1' };
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      await trail.record(actor, { status: i % 7 ? 'S' : 'D', eventType: 'EXECUTE', class: 'COMMAND', object: 'web01', change: `CHG-${i % 50}`, command: `systemctl status app-${i}` });
    }
    const appendSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const verifyStart = process.hrtime.bigint();
    const result = await trail.verify();
    const verifySeconds = Number(process.hrtime.bigint() - verifyStart) / 1e9;
    if (!result.ok || result.count !== count) throw new Error(`verification failed: ${JSON.stringify(result)}`);
    return [
      { area: 'audit trail (SQLite)', metric: 'append rate', value: count / appendSeconds, unit: 'records/s' },
      { area: 'audit trail (SQLite)', metric: `verify ${count.toLocaleString('en-US')} records`, value: verifySeconds * 1000, unit: 'ms' },
    ];
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
