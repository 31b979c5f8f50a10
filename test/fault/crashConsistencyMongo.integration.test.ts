import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { freePort } from '../support/freePort.js';
import { findMongoTestServer } from '../support/mongoTestServer.js';
import { crashWhileWorking, expectConsistent } from './crashConsistency.js';

/**
 * The crash test on the MongoDB wire (crashConsistency.ts): there a commit rides in the
 * document of the state it describes and is relayed afterwards, by the process that wrote it
 * or, after the kill, by the next one at start. Skipped, with the reason printed, when no
 * MongoDB-wire server can be had (test/support/mongoTestServer.ts).
 */
const TOTAL = Number(process.env.CRASH_TEST_CHANGES ?? 200);
const server = await findMongoTestServer();

if ('skipReason' in server) {
  console.warn(`MongoDB crash test skipped: ${server.skipReason}`);
  describe.skip(`a product process killed at random while it works (MongoDB; skipped: ${server.skipReason})`, () => {
    it('keeps every change\'s state, audit records and notifications together', () => undefined);
  });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-crash-mongo-'));
  const dbName = `changeguard_crash_${process.pid}_${randomBytes(4).toString('hex')}`;
  const uri = (() => {
    const url = new URL(server.uri);
    url.pathname = `/${dbName}`;
    return url.toString();
  })();
  afterAll(async () => {
    const store = await MongoStore.connect(uri).catch(() => undefined);
    await store?.connection.db?.dropDatabase().catch(() => undefined);
    await store?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a product process killed at random while it works (MongoDB)', () => {
    it(`keeps every one of ${TOTAL} changes' state, audit records and notifications together`, { timeout: 900_000 }, async () => {
      const env = { DATA_DIR: join(dir, 'data'), MONGODB_URI: uri, PORT: String(await freePort()), PROXY_PORT: String(await freePort()) };
      const run = await crashWhileWorking({ total: TOTAL, dir, env, openStore: () => MongoStore.connect(uri) });
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
