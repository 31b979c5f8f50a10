import type { Database } from 'better-sqlite3';
import type { DeviationRequest, DeviationStatus } from '../../domain/deviation/deviationRequest.js';
import type { Commit } from '../commit.js';
import type { DeviationPatch, DeviationRepository } from '../deviationRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { fromDocument, toDocument } from './jsonDocument.js';
import type { SqliteCommitWriter } from './sqliteCommitWriter.js';

export class SqliteDeviationRepository implements DeviationRepository {
  constructor(
    private readonly db: Database,
    private readonly commits: SqliteCommitWriter,
  ) {}

  async create(request: DeviationRequest, commit?: Commit): Promise<void> {
    try {
      this.db
        .transaction(() => {
          this.db
            .prepare('INSERT INTO deviations (id, change_code, status, requested_at, doc) VALUES (?, ?, ?, ?, ?)')
            .run(request.id, request.changeCode, request.status, request.requestedAt.getTime(), toDocument(request));
          this.commits.write(commit);
        })
        .immediate();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateKeyError('deviation', request.id);
      throw error;
    }
  }

  async findById(id: string): Promise<DeviationRequest | null> {
    const row = this.db.prepare('SELECT doc FROM deviations WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? fromDocument<DeviationRequest>(row.doc) : null;
  }

  async listByChange(changeCode: string): Promise<DeviationRequest[]> {
    const rows = this.db.prepare('SELECT doc FROM deviations WHERE change_code = ? ORDER BY requested_at, id').all(changeCode) as { doc: string }[];
    return rows.map((r) => fromDocument<DeviationRequest>(r.doc));
  }

  async settle(id: string, expected: DeviationStatus, patch: DeviationPatch, commit?: Commit): Promise<DeviationRequest | null> {
    const apply = this.db.transaction((): DeviationRequest | null => {
      const row = this.db.prepare('SELECT doc FROM deviations WHERE id = ? AND status = ?').get(id, expected) as { doc: string } | undefined;
      if (!row) return null;
      const next: DeviationRequest = { ...fromDocument<DeviationRequest>(row.doc), ...patch, id };
      this.db.prepare('UPDATE deviations SET status = ?, doc = ? WHERE id = ? AND status = ?').run(next.status, toDocument(next), id, expected);
      this.commits.write(commit);
      return next;
    });
    const settled = apply.immediate();
    return settled ? fromDocument<DeviationRequest>(toDocument(settled)) : null;
  }
}
