import type { Database } from 'better-sqlite3';
import type { AccountLock, AccountRepository, RegisteredKey } from '../accountRepository.js';
import type { Commit } from '../commit.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { fromDocument, toDocument } from './jsonDocument.js';
import type { SqliteCommitWriter } from './sqliteCommitWriter.js';

export class SqliteAccountRepository implements AccountRepository {
  constructor(
    private readonly db: Database,
    private readonly commits: SqliteCommitWriter,
  ) {}

  /** Runs `write` and, when it changed something, the commit, in one write transaction. */
  private changing(write: () => boolean, commit: Commit | undefined): boolean {
    return this.db
      .transaction(() => {
        const changed = write();
        if (changed) this.commits.write(commit);
        return changed;
      })
      .immediate();
  }

  async lock(lock: AccountLock, commit?: Commit): Promise<boolean> {
    return this.changing(() => {
      const locked = this.db.prepare('INSERT INTO account_locks (user, doc) VALUES (?, ?) ON CONFLICT(user) DO NOTHING').run(lock.user, toDocument(lock)).changes === 1;
      if (locked) this.endWebSessionsNow(lock.user, lock.at);
      return locked;
    }, commit);
  }

  async unlock(user: string, commit?: Commit): Promise<boolean> {
    return this.changing(() => this.db.prepare('DELETE FROM account_locks WHERE user = ?').run(user).changes === 1, commit);
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

  async addKey(key: RegisteredKey, commit?: Commit): Promise<void> {
    try {
      this.changing(
        () => this.db.prepare('INSERT INTO ssh_keys (fingerprint, user, added_at, doc) VALUES (?, ?, ?, ?)').run(key.fingerprint, key.user, key.addedAt.getTime(), toDocument(key)).changes === 1,
        commit,
      );
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

  async removeKey(user: string, fingerprint: string, commit?: Commit): Promise<boolean> {
    return this.changing(() => this.db.prepare('DELETE FROM ssh_keys WHERE user = ? AND fingerprint = ?').run(user, fingerprint).changes === 1, commit);
  }

  async findKeyByFingerprint(fingerprint: string): Promise<RegisteredKey | null> {
    const row = this.db.prepare('SELECT doc FROM ssh_keys WHERE fingerprint = ?').get(fingerprint) as { doc: string } | undefined;
    return row ? fromDocument<RegisteredKey>(row.doc) : null;
  }

  async endWebSessions(user: string, at: Date, commit?: Commit): Promise<void> {
    this.changing(() => {
      this.endWebSessionsNow(user, at);
      // A sign-out is recorded even when an earlier one ended the same sessions.
      return true;
    }, commit);
  }

  private endWebSessionsNow(user: string, at: Date): void {
    this.db.prepare('INSERT INTO web_signouts (user, at) VALUES (?, ?) ON CONFLICT(user) DO UPDATE SET at = MAX(at, excluded.at)').run(user, at.getTime());
  }

  async webSessionsEndedAt(user: string): Promise<Date | null> {
    const row = this.db.prepare('SELECT at FROM web_signouts WHERE user = ?').get(user) as { at: number } | undefined;
    return row ? new Date(row.at) : null;
  }
}
