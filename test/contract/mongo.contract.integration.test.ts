import { randomBytes } from 'node:crypto';
import { afterAll, describe, it } from 'vitest';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { findMongoTestServer } from '../support/mongoTestServer.js';
import { defineReportScheduleContract } from './reportScheduleContract.js';
import { defineStoreContract, type OpenedStore } from './storeContract.js';

/**
 * The store contract against MongoDB (see test/support/mongoTestServer.ts for which server):
 * skipped with the reason printed when no server can be had.
 */
const server = await findMongoTestServer();

if ('skipReason' in server) {
  console.warn(`MongoDB contract suite skipped: ${server.skipReason}`);
  describe.skip(`store contract: mongo (skipped: ${server.skipReason})`, () => {
    it('runs against a reachable MongoDB server', () => undefined);
  });
} else {
  afterAll(server.stop);
  const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
  let opened = 0;

  const openMongo = async (): Promise<OpenedStore> => {
    // A database of its own per test, so tests neither see each other's data nor a real one.
    const dbName = `changeguard_contract_${runId}_${++opened}`;
    const store = await MongoStore.connect(server.uri, { dbName });
    return {
      store,
      openSecond: () => MongoStore.connect(server.uri, { dbName }),
      cleanup: async () => {
        try {
          await store.connection.dropDatabase();
        } finally {
          await store.close();
        }
      },
    };
  };
  defineStoreContract('mongo', openMongo);
  defineReportScheduleContract('mongo', openMongo);
}
