import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditTrail } from '../src/services/audit/auditTrail.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import type { BenchRow } from './lib/benchRow.js';

/**
 * Appends 100,000 records to a SQLite file (WAL), then verifies the whole chain. Baselines:
 * the same number of plain one-row INSERTs into a bare table (the storage floor, no chain),
 * and reading those rows back with one SHA-256 each (the hashing floor of a verification).
 */
export async function benchAuditTrail(count = 100_000): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-bench-'));
  const store = SqliteStore.open(join(dir, 'bench.db'));
  try {
    const trail = new AuditTrail(store.audit, () => new Date());
    const actor = { userId: 'alice', terminal: 'proxy 127.0.0.1' };
    const event = (i: number) => ({ status: i % 7 ? 'S' : 'D', eventType: 'EXECUTE', class: 'COMMAND', object: 'web01', change: `CHG-${i % 50}`, command: `systemctl status app-${i}` }) as const;
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await trail.record(actor, event(i));
    const appendSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const verifyStart = process.hrtime.bigint();
    const result = await trail.verify();
    const verifySeconds = Number(process.hrtime.bigint() - verifyStart) / 1e9;
    if (!result.ok || result.count !== count) throw new Error(`verification failed: ${JSON.stringify(result)}`);

    const floor = plainSqliteFloor(join(dir, 'plain.db'), count, (i) => JSON.stringify({ seq: i, at: new Date().toISOString(), actor, ...event(i) }));
    return [
      { area: 'audit trail (SQLite)', metric: 'append rate', value: count / appendSeconds, unit: 'records/s', baseline: { name: 'plain INSERT, no chain', value: floor.insertsPerSecond } },
      {
        area: 'audit trail (SQLite)',
        metric: `verify ${count.toLocaleString('en-US')} records`,
        value: verifySeconds * 1000,
        unit: 'ms',
        baseline: { name: 'read + SHA-256 each row', value: floor.readAndHashMs },
      },
    ];
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function plainSqliteFloor(file: string, count: number, doc: (i: number) => string): { insertsPerSecond: number; readAndHashMs: number } {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE plain (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO plain (seq, doc) VALUES (?, ?)');
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) insert.run(i, doc(i));
    const insertSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const readStart = process.hrtime.bigint();
    let digest = '';
    for (const row of db.prepare('SELECT doc FROM plain ORDER BY seq').iterate() as IterableIterator<{ doc: string }>) {
      digest = createHash('sha256').update(digest).update(row.doc).digest('hex');
    }
    const readAndHashMs = Number(process.hrtime.bigint() - readStart) / 1e6;
    if (digest.length !== 64) throw new Error('no rows read back');
    return { insertsPerSecond: count / insertSeconds, readAndHashMs };
  } finally {
    db.close();
  }
}
