/** A unique key (change code, ids) is already taken. */
export class DuplicateKeyError extends Error {
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} "${key}" already exists`);
    this.name = 'DuplicateKeyError';
  }
}

/** The store cannot be reached: callers fail closed. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** SQLite result codes meaning the database file cannot be used now (busy, I/O, full, read-only). */
const SQLITE_OUTAGE_CODE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|READONLY|FULL|PROTOCOL|NOTADB)(_|$)/;
/** MongoDB driver errors meaning the server is out of reach (matched by name: no driver import here). */
const MONGO_OUTAGE_ERRORS = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
  'MongooseServerSelectionError',
]);

/**
 * Whether an error from a store means "the store cannot be reached right now" (so callers
 * fail closed and retry later) rather than a bug or a refused write. The adapters throw
 * StoreUnavailableError where they see it themselves; repository calls surface the
 * driver's own errors, recognised here.
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current instanceof StoreUnavailableError) return true;
    // better-sqlite3 on a closed connection.
    if (current instanceof TypeError && current.message === 'The database connection is not open') return true;
    const code = (current as { code?: unknown }).code;
    if (current.name === 'SqliteError' && typeof code === 'string' && SQLITE_OUTAGE_CODE.test(code)) return true;
    if (MONGO_OUTAGE_ERRORS.has(current.name)) return true;
    // mongoose queues operations while disconnected, then gives up with this.
    if (current.name === 'MongooseError' && /buffering timed out/.test(current.message)) return true;
  }
  return false;
}
