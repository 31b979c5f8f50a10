import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqliteStore.js';

/** MongoDB when a URI is configured, otherwise the embedded SQLite file. */
export async function openStore(options: { mongodbUri: string | undefined; sqliteFile: string }): Promise<Store> {
  if (options.mongodbUri) {
    // Loaded lazily so an embedded install never pays for the MongoDB driver.
    const { MongoStore } = await import('./mongo/mongoStore.js');
    return MongoStore.connect(options.mongodbUri);
  }
  return SqliteStore.open(options.sqliteFile);
}
