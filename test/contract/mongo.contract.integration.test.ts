import { randomBytes } from 'node:crypto';
import { afterAll, describe, it } from 'vitest';
import { MongoAgendaBackend } from '../../src/jobs/mongoAgendaBackend.js';
import { MongoRecordingStore } from '../../src/store/mongo/mongoRecordingStore.js';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { defineLinkNonceContract } from './linkNonceContract.js';
import { findMongoTestServer } from '../support/mongoTestServer.js';
import { defineJobRepositoryContract } from './jobRepositoryContract.js';
import { defineOutboxContract } from './outboxContract.js';
import { defineRecordingContract } from './recordingContract.js';
import { defineReportScheduleContract } from './reportScheduleContract.js';
import { defineSlackMessageContract } from './slackMessageContract.js';
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
  describe.skip(`recording store contract: mongo (skipped: ${server.skipReason})`, () => {
    it('runs against a reachable MongoDB server', () => undefined);
  });
} else {
  afterAll(server.stop);
  const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
  let opened = 0;

  interface OpenedMongo extends OpenedStore {
    readonly store: MongoStore;
    readonly openSecond: () => Promise<MongoStore>;
  }
  const openMongo = async (): Promise<OpenedMongo> => {
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
  defineLinkNonceContract('mongo', openMongo);
  defineOutboxContract('mongo', openMongo);
  defineSlackMessageContract('mongo', openMongo);
  defineReportScheduleContract('mongo', openMongo);
  // The reference implementation, so the SQLite repository is held to the same behaviour.
  defineJobRepositoryContract('mongo', async () => {
    const opened = await openMongo();
    const repositoryOf = (store: MongoStore) => new MongoAgendaBackend(store.connection.db!).repository;
    return {
      repository: repositoryOf(opened.store),
      openSecond: async () => {
        const second = await opened.openSecond();
        return { repository: repositoryOf(second), close: () => second.close() };
      },
      cleanup: opened.cleanup,
    };
  });

  defineRecordingContract('mongo', async () => {
    const dbName = `changeguard_contract_${runId}_${++opened}`;
    const store = await MongoStore.connect(server.uri, { dbName });
    const recordings = await MongoRecordingStore.open(store.connection);
    const others: MongoStore[] = [];
    return {
      recordings,
      openSecond: async () => {
        const other = await MongoStore.connect(server.uri, { dbName });
        others.push(other);
        return MongoRecordingStore.open(other.connection);
      },
      cleanup: async () => {
        try {
          await store.connection.dropDatabase();
        } finally {
          await Promise.all([store.close(), ...others.map((o) => o.close())]);
        }
      },
    };
  });
}
