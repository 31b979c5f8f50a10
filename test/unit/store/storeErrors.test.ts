import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable, StoreUnavailableError } from '../../../src/store/storeErrors.js';

function errorNamed(name: string, message = 'x'): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('isStoreUnavailable', () => {
  it('recognises a closed better-sqlite3 connection, as the driver reports it', () => {
    const db = new Database(':memory:');
    db.close();
    let thrown: unknown;
    try {
      db.prepare('SELECT 1').get();
    } catch (error) {
      thrown = error;
    }
    expect(isStoreUnavailable(thrown)).toBe(true);
  });

  it('recognises SQLite codes for a file that cannot be used now, and not constraint failures', () => {
    const withCode = (code: string) => Object.assign(errorNamed('SqliteError'), { code });
    expect(isStoreUnavailable(withCode('SQLITE_BUSY'))).toBe(true);
    expect(isStoreUnavailable(withCode('SQLITE_IOERR_WRITE'))).toBe(true);
    expect(isStoreUnavailable(withCode('SQLITE_READONLY_DBMOVED'))).toBe(true);
    expect(isStoreUnavailable(withCode('SQLITE_CONSTRAINT_UNIQUE'))).toBe(false);
  });

  it('recognises MongoDB driver and mongoose outage errors by name, also as a cause', () => {
    expect(isStoreUnavailable(errorNamed('MongoServerSelectionError'))).toBe(true);
    expect(isStoreUnavailable(errorNamed('MongooseError', 'Operation `sessions.findOne()` buffering timed out after 10000ms'))).toBe(true);
    expect(isStoreUnavailable(new Error('wrapped', { cause: errorNamed('MongoNetworkError') }))).toBe(true);
    expect(isStoreUnavailable(new StoreUnavailableError('the store is closed'))).toBe(true);
    expect(isStoreUnavailable(errorNamed('MongoServerError', 'E11000 duplicate key'))).toBe(false);
    expect(isStoreUnavailable(new TypeError('undefined is not a function'))).toBe(false);
    expect(isStoreUnavailable('a string')).toBe(false);
  });
});
