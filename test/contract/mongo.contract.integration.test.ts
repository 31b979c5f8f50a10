import { randomBytes } from 'node:crypto';
import { afterAll, describe, it } from 'vitest';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { defineLinkNonceContract } from './linkNonceContract.js';
import { defineOutboxContract } from './outboxContract.js';
import { defineSlackMessageContract } from './slackMessageContract.js';
import { defineStoreContract, type OpenedStore } from './storeContract.js';

/**
 * The store contract against MongoDB: the server in MONGODB_URI, else a mongod started by
 * mongodb-memory-server when it can obtain the binary. Where neither is possible the suite is
 * registered as skipped, with the reason in its name and printed, never silently dropped.
 * A MONGODB_URI that is set but unreachable fails the suite instead: it was asked for.
 */

/** mongodb-memory-server downloads mongod on first use; it must not hold up the run for long. */
const MEMORY_SERVER_START_LIMIT_MS = 20_000;

type Server = { readonly uri: string; readonly stop: () => Promise<void> } | { readonly skipReason: string };

async function findServer(): Promise<Server> {
  const uri = process.env.MONGODB_URI;
  if (uri) return { uri, stop: async () => undefined };
  try {
    // Only a mongod already on this machine (MONGOMS_SYSTEM_BINARY or a cached download) is
    // used: tests never reach out to the internet for one unless MONGOMS_RUNTIME_DOWNLOAD says so.
    process.env.MONGOMS_RUNTIME_DOWNLOAD ??= 'false';
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    const starting = MongoMemoryServer.create();
    const server = await within(MEMORY_SERVER_START_LIMIT_MS, starting, () => {
      // Gave up waiting: if it starts after all, do not leave the mongod running.
      starting.then((late) => late.stop(), () => undefined).catch(() => undefined);
    });
    return { uri: server.getUri(), stop: async () => void (await server.stop()) };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n').join(' ').trim();
    return { skipReason: `MONGODB_URI is unset and mongodb-memory-server could not start a mongod (${message})` };
  }
}

async function within<T>(ms: number, work: Promise<T>, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`no mongod within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const server = await findServer();

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
  defineLinkNonceContract('mongo', openMongo);
  defineOutboxContract('mongo', openMongo);
  defineSlackMessageContract('mongo', openMongo);
}
