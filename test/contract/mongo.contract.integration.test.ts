import { MongoAgendaBackend } from '../../src/jobs/mongoAgendaBackend.js';
import { MongoRecordingStore } from '../../src/store/mongo/mongoRecordingStore.js';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { defineDeviationContract } from './deviationContract.js';
import { defineLinkNonceContract } from './linkNonceContract.js';
import { freshDatabaseName, mongoUriOrSkip } from '../support/mongoTestServer.js';
import { defineJobRepositoryContract } from './jobRepositoryContract.js';
import { defineOutboxContract } from './outboxContract.js';
import { defineRecordingContract } from './recordingContract.js';
import { defineReportScheduleContract } from './reportScheduleContract.js';
import { defineSlackMessageContract } from './slackMessageContract.js';
import { defineStoreContract, type OpenedStore } from './storeContract.js';

/**
 * The store contract against a MongoDB-wire server (test/setup/mongoServer.globalSetup.ts: the
 * server in MONGODB_URI, else FerretDB), each test in a database of its own.
 */
const uri = mongoUriOrSkip('store contract: mongo');

if (uri !== undefined) {
  interface OpenedMongo extends OpenedStore {
    readonly store: MongoStore;
    readonly openSecond: () => Promise<MongoStore>;
  }
  const openMongo = async (): Promise<OpenedMongo> => {
    // A database of its own per test, so tests neither see each other's data nor a real one.
    const dbName = freshDatabaseName('contract');
    const store = await MongoStore.connect(uri, { dbName });
    return {
      store,
      openSecond: () => MongoStore.connect(uri, { dbName }),
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
  defineDeviationContract('mongo', openMongo);
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
    const dbName = freshDatabaseName('contract');
    const store = await MongoStore.connect(uri, { dbName });
    const recordings = await MongoRecordingStore.open(store.connection);
    const others: MongoStore[] = [];
    return {
      recordings,
      openSecond: async () => {
        const other = await MongoStore.connect(uri, { dbName });
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
