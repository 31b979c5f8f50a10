/**
 * A MongoDB server for tests: the one in MONGODB_URI, else a mongod started by
 * mongodb-memory-server when it can obtain the binary. Where neither is possible the caller
 * registers its suite as skipped, with the reason in its name and printed, never silently
 * dropped. A MONGODB_URI that is set but unreachable fails the suite instead: it was asked for.
 */
export type MongoTestServer = { readonly uri: string; readonly stop: () => Promise<void> } | { readonly skipReason: string };

/** mongodb-memory-server downloads mongod on first use; it must not hold up the run for long. */
const MEMORY_SERVER_START_LIMIT_MS = 20_000;

export async function findMongoTestServer(): Promise<MongoTestServer> {
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
