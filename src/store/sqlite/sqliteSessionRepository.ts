import type { Database } from 'better-sqlite3';
import type { Session, SessionState } from '../../domain/session/session.js';
import type { Commit } from '../commit.js';
import type { SessionPatch, SessionRepository } from '../sessionRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { fromDocument, toDocument } from './jsonDocument.js';
import type { SqliteCommitWriter } from './sqliteCommitWriter.js';

export class SqliteSessionRepository implements SessionRepository {
  constructor(
    private readonly db: Database,
    private readonly commits: SqliteCommitWriter,
  ) {}

  async create(session: Session, commit?: Commit): Promise<void> {
    try {
      this.db
        .transaction(() => {
          this.db
            .prepare('INSERT INTO sessions (id, change_code, state, owner, started_at, doc) VALUES (?, ?, ?, ?, ?, ?)')
            .run(session.id, session.changeCode, session.state, session.owner ?? null, session.startedAt.getTime(), toDocument(session));
          this.commits.write(commit);
        })
        .immediate();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateKeyError('session', session.id);
      throw error;
    }
  }

  async findById(id: string): Promise<Session | null> {
    const row = this.db.prepare('SELECT doc FROM sessions WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? fromDocument<Session>(row.doc) : null;
  }

  async listByChange(changeCode: string): Promise<Session[]> {
    const rows = this.db
      .prepare('SELECT doc FROM sessions WHERE change_code = ? ORDER BY started_at, id')
      .all(changeCode) as { doc: string }[];
    return rows.map((r) => fromDocument<Session>(r.doc));
  }

  async listActive(owner?: string): Promise<Session[]> {
    const rows = (
      owner === undefined
        ? this.db.prepare("SELECT doc FROM sessions WHERE state = 'active' ORDER BY started_at, id").all()
        : this.db.prepare("SELECT doc FROM sessions WHERE state = 'active' AND owner = ? ORDER BY started_at, id").all(owner)
    ) as { doc: string }[];
    return rows.map((r) => fromDocument<Session>(r.doc));
  }

  async update(id: string, expectedState: SessionState, patch: SessionPatch, commit?: Commit): Promise<Session | null> {
    const apply = this.db.transaction((): Session | null => {
      const row = this.db.prepare('SELECT doc FROM sessions WHERE id = ? AND state = ?').get(id, expectedState) as
        | { doc: string }
        | undefined;
      if (!row) return null;
      const next: Session = { ...fromDocument<Session>(row.doc), ...patch, id };
      this.db
        .prepare('UPDATE sessions SET state = ?, owner = ?, doc = ? WHERE id = ? AND state = ?')
        .run(next.state, next.owner ?? null, toDocument(next), id, expectedState);
      this.commits.write(commit);
      return next;
    });
    const updated = apply.immediate();
    return updated ? fromDocument<Session>(toDocument(updated)) : null;
  }
}
