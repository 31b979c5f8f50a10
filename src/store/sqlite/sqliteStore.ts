import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from '../store.js';
import { StoreUnavailableError } from '../storeErrors.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteAccountRepository } from './sqliteAccountRepository.js';
import { SqliteAuditRepository } from './sqliteAuditRepository.js';
import { SqliteChangeRepository } from './sqliteChangeRepository.js';
import { SqliteCommitWriter } from './sqliteCommitWriter.js';
import { indexedWords, SqliteCommandRepository } from './sqliteCommandRepository.js';
import { SqliteDeviationRepository } from './sqliteDeviationRepository.js';
import { SqliteLinkNonceRepository } from './sqliteLinkNonceRepository.js';
import { SqliteOutboxRepository } from './sqliteOutboxRepository.js';
import { SqlitePolicyRepository } from './sqlitePolicyRepository.js';
import { SqliteReportScheduleRepository } from './sqliteReportScheduleRepository.js';
import { SqliteSiemFeedRepository } from './sqliteSiemFeedRepository.js';
import { SqliteSessionRepository } from './sqliteSessionRepository.js';
import { SqliteSlackMessageRepository } from './sqliteSlackMessageRepository.js';

/**
 * The embedded default store: one SQLite file in WAL mode, so the CLI can read while the
 * server writes, and several connections (processes) serialise their writes safely.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly changes: SqliteChangeRepository;
  readonly sessions: SqliteSessionRepository;
  readonly commands: SqliteCommandRepository;
  readonly audit: SqliteAuditRepository;
  readonly policy: SqlitePolicyRepository;
  readonly accounts: SqliteAccountRepository;
  readonly linkNonces: SqliteLinkNonceRepository;
  readonly outbox: SqliteOutboxRepository;
  readonly siemFeed: SqliteSiemFeedRepository;
  readonly slackMessages: SqliteSlackMessageRepository;
  readonly reportSchedules: SqliteReportScheduleRepository;
  readonly deviations: SqliteDeviationRepository;
  private closed = false;

  private constructor(readonly db: Database.Database) {
    this.audit = new SqliteAuditRepository(db);
    this.outbox = new SqliteOutboxRepository(db);
    this.siemFeed = new SqliteSiemFeedRepository(db);
    const commits = new SqliteCommitWriter(this.audit, this.outbox);
    this.changes = new SqliteChangeRepository(db, commits);
    this.sessions = new SqliteSessionRepository(db, commits);
    this.commands = new SqliteCommandRepository(db, commits);
    this.policy = new SqlitePolicyRepository(db, commits);
    this.accounts = new SqliteAccountRepository(db, commits);
    this.linkNonces = new SqliteLinkNonceRepository(db);
    this.slackMessages = new SqliteSlackMessageRepository(db);
    this.reportSchedules = new SqliteReportScheduleRepository(db, commits);
    this.deviations = new SqliteDeviationRepository(db, commits);
  }

  /** Commits are written in the transaction of their state: nothing is ever left to relay. */
  async relayPendingCommits(): Promise<number> {
    return 0;
  }

  /** Opens (creating if needed) and migrates. `:memory:` gives a private throwaway store. */
  static open(file: string, options: { readonly?: boolean } = {}): SqliteStore {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    } catch (error) {
      throw new StoreUnavailableError(`cannot open SQLite store ${file}: ${(error as Error).message}`, { cause: error });
    }
    db.pragma('busy_timeout = 5000');
    // The search index's words, computed as the domain does (migration 007 fills it with it).
    db.function('changeguard_words', { deterministic: true }, indexedWords);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    }
    return new SqliteStore(db);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      this.db.prepare('SELECT 1').get();
    } catch (error) {
      throw new StoreUnavailableError(`SQLite store unreachable: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const run = db.transaction(() => {
    const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
    const known = new Set(MIGRATIONS.map((m) => m.id));
    const unknown = [...applied].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new Error(`the database has migrations this changeguard does not know (${unknown.join(', ')}): it was written by a newer version; upgrade changeguard`);
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.id)) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(migration.id, new Date().toISOString());
    }
  });
  run.immediate();
}
