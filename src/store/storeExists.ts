import { existsSync } from 'node:fs';
import { StoreUnavailableError } from './storeErrors.js';

/**
 * Whether the configured store already holds a changeguard database. Read-only commands ask
 * first: opening a store creates it, and a mistyped DATA_DIR or database name would otherwise
 * give a brand-new empty database (and an "intact: 0 records" audit trail) instead of an error.
 * Returns a sentence saying what is missing, or undefined when the store exists.
 */
export async function missingStore(options: { mongodbUri: string | undefined; sqliteFile: string; dataDir: string }): Promise<string | undefined> {
  if (!options.mongodbUri) {
    if (existsSync(options.sqliteFile)) return undefined;
    return `no changeguard database at ${options.sqliteFile} (DATA_DIR is ${options.dataDir}): check DATA_DIR, or start changeguard once to create it`;
  }
  // Loaded lazily, as openStore does: an embedded install never pays for the driver.
  const mongoose = (await import('mongoose')).default;
  const connection = mongoose.createConnection(options.mongodbUri, { serverSelectionTimeoutMS: 5000, autoCreate: false, autoIndex: false });
  try {
    try {
      await connection.asPromise();
    } catch (error) {
      throw new StoreUnavailableError(`cannot connect to MongoDB: ${(error as Error).message}`, { cause: error });
    }
    const db = connection.db;
    // Every changeguard database has its changes collection (created at the first connect).
    const found = db ? await db.listCollections({ name: 'changes' }, { nameOnly: true }).toArray() : [];
    return found.length > 0 ? undefined : `no changeguard database "${db?.databaseName ?? '?'}" on the MongoDB server of MONGODB_URI: check the database name, or start changeguard once to create it`;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
