import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { freePort } from '../support/freePort.js';
import { crashWhileWorking, expectConsistent } from './crashConsistency.js';

/**
 * One action, one write: the product process is SIGKILLed at random moments while 200
 * changes are filed, approved, rejected and revoked over Slack and the policy is re-imported
 * at every start; after each restart, every change's state must be matched by its audit
 * records and its outbox rows, and the chain must verify (see crashConsistency.ts).
 */
const TOTAL = Number(process.env.CRASH_TEST_CHANGES ?? 200);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-crash-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a product process killed at random while it works (SQLite)', () => {
  it(`keeps every one of ${TOTAL} changes' state, audit records and notifications together`, { timeout: 600_000 }, async () => {
    const dataDir = join(dir, 'data');
    const file = join(dataDir, 'changeguard.db');
    // Created (and migrated) first, so the test can read it as the product writes (WAL).
    await SqliteStore.open(file).close();
    const env = { DATA_DIR: dataDir, MONGODB_URI: '', PORT: String(await freePort()), PROXY_PORT: String(await freePort()) };
    const run = await crashWhileWorking({ total: TOTAL, dir, env, openStore: async () => SqliteStore.open(file, { readonly: true }) });
    expect(run.kills).toBeGreaterThanOrEqual(5);
    expect(run.killsDuringStart).toBeGreaterThanOrEqual(1);
    const store = SqliteStore.open(file, { readonly: true });
    try {
      const checkAt = Date.now();
      await expectConsistent(store, run, TOTAL, { DATA_DIR: dataDir, MONGODB_URI: '' });
      if (process.env.CRASH_TEST_TRACE) process.stdout.write(`checks: ${Date.now() - checkAt} ms\n`);
    } finally {
      await store.close();
    }
    process.stdout.write(`crash test (SQLite): ${run.rounds} rounds, ${run.kills} SIGKILLs (${run.killsDuringStart} during start-up)\n`);
  });
});
