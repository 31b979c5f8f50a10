import type { Database } from 'better-sqlite3';
import type { AccountLock, AccountRepository, RegisteredKey } from '../accountRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { fromDocument, toDocument } from './jsonDocument.js';

export class SqliteAccountRepository implements AccountRepository {
  constructor(private readonly db: Database) {}

  async lock(lock: AccountLock): Promise<boolean> {
    const result = this.db
      .prepare('INSERT INTO account_locks (user, doc) VALUES (?, ?) ON CONFLICT(user) DO NOTHING')
      .run(lock.user, toDocument(lock));
    return result.changes === 1;
  }

  async unlock(user: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM account_locks WHERE user = ?').run(user).changes === 1;
  }

  async findLock(user: string): Promise<AccountLock | null> {
    const row = this.db.prepare('SELECT doc FROM account_locks WHERE user = ?').get(user) as { doc: string } | undefined;
    return row ? fromDocument<AccountLock>(row.doc) : null;
  }

  async listLocks(): Promise<AccountLock[]> {
    return (this.db.prepare('SELECT doc FROM account_locks ORDER BY user').all() as { doc: string }[]).map((r) =>
      fromDocument<AccountLock>(r.doc),
    );
  }

  async addKey(key: RegisteredKey): Promise<void> {
    try {
      this.db
        .prepare('INSERT INTO ssh_keys (fingerprint, user, added_at, doc) VALUES (?, ?, ?, ?)')
        .run(key.fingerprint, key.user, key.addedAt.getTime(), toDocument(key));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateKeyError('ssh key', key.fingerprint);
      throw error;
    }
  }

  async listKeys(user: string): Promise<RegisteredKey[]> {
    return (this.db.prepare('SELECT doc FROM ssh_keys WHERE user = ? ORDER BY added_at').all(user) as { doc: string }[]).map((r) =>
      fromDocument<RegisteredKey>(r.doc),
    );
  }

  async removeKey(user: string, fingerprint: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM ssh_keys WHERE user = ? AND fingerprint = ?').run(user, fingerprint).changes === 1;
  }

  async findKeyByFingerprint(fingerprint: string): Promise<RegisteredKey | null> {
    const row = this.db.prepare('SELECT doc FROM ssh_keys WHERE fingerprint = ?').get(fingerprint) as { doc: string } | undefined;
    return row ? fromDocument<RegisteredKey>(row.doc) : null;
  }

  async endWebSessions(user: string, at: Date): Promise<void> {
    this.db
      .prepare('INSERT INTO web_signouts (user, at) VALUES (?, ?) ON CONFLICT(user) DO UPDATE SET at = MAX(at, excluded.at)')
      .run(user, at.getTime());
  }

  async webSessionsEndedAt(user: string): Promise<Date | null> {
    const row = this.db.prepare('SELECT at FROM web_signouts WHERE user = ?').get(user) as { at: number } | undefined;
    return row ? new Date(row.at) : null;
  }
}
