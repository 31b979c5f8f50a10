import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { freePort } from '../support/freePort.js';
import { freshDatabaseName, mongoUriOrSkip } from '../support/mongoTestServer.js';
import { crashWhileWorking, expectConsistent } from './crashConsistency.js';

/**
 * The crash test on the MongoDB wire (crashConsistency.ts), on the run's server (FerretDB
 * unless MONGODB_URI names one: test/setup/mongoServer.globalSetup.ts): there a commit rides
 * in the revision of the state it describes and is relayed afterwards, by the process that
 * wrote it or, after the kill, by the next one (its relay marker names it).
 */
// Fewer changes and longer rounds than on SQLite: FerretDB (the test server here) answers a
// Slack request in hundreds of milliseconds under this load, not tens, so 200 changes in
// 1.5 s rounds took more than the 120 rounds allowed. Every kind of kill still happens.
const TOTAL = Number(process.env.CRASH_TEST_CHANGES ?? 60);
const server = mongoUriOrSkip('a product process killed at random while it works (MongoDB)');

if (server !== undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-crash-mongo-'));
  const dbName = freshDatabaseName('crash');
  const uri = (() => {
    const url = new URL(server);
    url.pathname = `/${dbName}`;
    return url.toString();
  })();
  afterAll(async () => {
    const store = await MongoStore.connect(uri).catch(() => undefined);
    await store?.connection.db?.dropDatabase().catch(() => undefined);
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a product process killed at random while it works (MongoDB)', () => {
    it(`keeps every one of ${TOTAL} changes' state, audit records and notifications together`, { timeout: 900_000 }, async () => {
      const env = { DATA_DIR: join(dir, 'data'), MONGODB_URI: uri, PORT: String(await freePort()), PROXY_PORT: String(await freePort()) };
      const run = await crashWhileWorking({ total: TOTAL, dir, env, openStore: () => MongoStore.connect(uri), killWindowMs: [1000, 6000] });
      expect(run.kills).toBeGreaterThanOrEqual(5);
      const store = await MongoStore.connect(uri);
      try {
        // Whatever the last kill left in documents was relayed by the last clean start.
        expect(await store.relayPendingCommits()).toBe(0);
        await expectConsistent(store, run, TOTAL, { DATA_DIR: env.DATA_DIR, MONGODB_URI: uri });
      } finally {
        await store.close();
      }
      process.stdout.write(`crash test (MongoDB wire): ${run.rounds} rounds, ${run.kills} SIGKILLs (${run.killsDuringStart} during start-up)\n`);
    });
  });
}
