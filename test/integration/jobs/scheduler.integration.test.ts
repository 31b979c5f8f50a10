import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { MongoStore } from '../../../src/store/mongo/mongoStore.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { findMongoTestServer } from '../../support/mongoTestServer.js';
import { defineSchedulerSuite } from './schedulerSuite.js';

defineSchedulerSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-jobs-'));
  const file = join(dir, 'changeguard.db');
  return { connect: async () => SqliteStore.open(file), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

const server = await findMongoTestServer();
if ('skipReason' in server) {
  console.warn(`MongoDB scheduler suite skipped: ${server.skipReason}`);
  describe.skip(`scheduler on Agenda: mongo (skipped: ${server.skipReason})`, () => {
    it('runs against a reachable MongoDB server', () => undefined);
  });
} else {
  afterAll(server.stop);
  const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
  let opened = 0;
  defineSchedulerSuite('mongo', async () => {
    const dbName = `changeguard_jobs_${runId}_${++opened}`;
    return {
      connect: () => MongoStore.connect(server.uri, { dbName }),
      cleanup: async () => {
        const store = await MongoStore.connect(server.uri, { dbName });
        try {
          await store.connection.dropDatabase();
        } finally {
          await store.close();
        }
      },
    };
  });
}
