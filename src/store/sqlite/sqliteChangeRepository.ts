import type { Database } from 'better-sqlite3';
import type { Change } from '../../domain/change/change.js';
import type { ChangePatch, ChangeQuery, ChangeRepository } from '../changeRepository.js';
import type { Commit } from '../commit.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { fromDocument, toDocument } from './jsonDocument.js';
import type { SqliteCommitWriter } from './sqliteCommitWriter.js';

export class SqliteChangeRepository implements ChangeRepository {
  constructor(
    private readonly db: Database,
    private readonly commits: SqliteCommitWriter,
  ) {}

  async create(change: Change, commit?: Commit): Promise<void> {
    try {
      this.db
        .transaction(() => {
          this.db
            .prepare(
              `INSERT INTO changes (code, status, requester, grp, window_start, window_end, version, doc)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(...this.columns(change));
          this.commits.write(commit);
        })
        .immediate();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new DuplicateKeyError('change', change.code);
      }
      throw error;
    }
  }

  async findByCode(code: string): Promise<Change | null> {
    const row = this.db.prepare('SELECT doc FROM changes WHERE code = ?').get(code) as { doc: string } | undefined;
    return row ? fromDocument<Change>(row.doc) : null;
  }

  async list(query: ChangeQuery): Promise<Change[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.requester !== undefined) {
      where.push('requester = ?');
      params.push(query.requester);
    }
    if (query.statuses !== undefined) {
      where.push(`status IN (${query.statuses.map(() => '?').join(',') || 'NULL'})`);
      params.push(...query.statuses);
    }
    if (query.groups !== undefined) {
      where.push(`grp IN (${query.groups.map(() => '?').join(',') || 'NULL'})`);
      params.push(...query.groups);
    }
    if (query.windowFrom !== undefined) {
      where.push('window_end > ?');
      params.push(query.windowFrom.getTime());
    }
    if (query.windowTo !== undefined) {
      where.push('window_start < ?');
      params.push(query.windowTo.getTime());
    }
    const sql = `SELECT doc FROM changes ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY window_start DESC, code LIMIT ? OFFSET ?`;
    params.push(query.limit ?? -1, query.offset ?? 0);
    const rows = this.db.prepare(sql).all(...params) as { doc: string }[];
    return rows.map((row) => fromDocument<Change>(row.doc));
  }

  async update(code: string, expectedVersion: number, patch: ChangePatch, commit?: Commit): Promise<Change | null> {
    // IMMEDIATE takes the write lock before reading, so two processes on one file cannot
    // both see `expectedVersion` and both write.
    const apply = this.db.transaction((): Change | null => {
      const row = this.db.prepare('SELECT doc FROM changes WHERE code = ? AND version = ?').get(code, expectedVersion) as
        | { doc: string }
        | undefined;
      if (!row) return null;
      const next: Change = { ...fromDocument<Change>(row.doc), ...patch, code, version: expectedVersion + 1 };
      const [, status, requester, grp, windowStart, windowEnd, version, doc] = this.columns(next);
      this.db
        .prepare(
          `UPDATE changes SET status = ?, requester = ?, grp = ?, window_start = ?, window_end = ?, version = ?, doc = ?
           WHERE code = ? AND version = ?`,
        )
        .run(status, requester, grp, windowStart, windowEnd, version, doc, code, expectedVersion);
      this.commits.write(commit);
      return next;
    });
    const updated = apply.immediate();
    return updated ? fromDocument<Change>(toDocument(updated)) : null;
  }

  async nextSequence(name: string): Promise<number> {
    const row = this.db
      .prepare(
        `INSERT INTO sequences (name, value) VALUES (?, 1)
         ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value`,
      )
      .get(name) as { value: number };
    return row.value;
  }

  private columns(change: Change) {
    return [
      change.code,
      change.status,
      change.requester,
      change.group,
      change.windowStart.getTime(),
      change.windowEnd.getTime(),
      change.version,
      toDocument(change),
    ] as const;
  }
}
