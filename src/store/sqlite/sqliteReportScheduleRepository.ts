import type { Database } from 'better-sqlite3';
import type { ReportSchedule } from '../../domain/reports/reportSchedule.js';
import type { Commit } from '../commit.js';
import type { ReportSchedulePatch, ReportScheduleRepository } from '../reportScheduleRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { fromDocument, toDocument } from './jsonDocument.js';
import type { SqliteCommitWriter } from './sqliteCommitWriter.js';

export class SqliteReportScheduleRepository implements ReportScheduleRepository {
  constructor(
    private readonly db: Database,
    private readonly commits: SqliteCommitWriter,
  ) {}

  async create(schedule: ReportSchedule, commit?: Commit): Promise<void> {
    try {
      this.db
        .transaction(() => {
          this.db.prepare('INSERT INTO report_schedules (id, version, doc) VALUES (?, ?, ?)').run(schedule.id, schedule.version, toDocument(schedule));
          this.commits.write(commit);
        })
        .immediate();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateKeyError('report schedule', schedule.id);
      throw error;
    }
  }

  async findById(id: string): Promise<ReportSchedule | null> {
    const row = this.db.prepare('SELECT doc FROM report_schedules WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? fromDocument<ReportSchedule>(row.doc) : null;
  }

  async list(): Promise<ReportSchedule[]> {
    return (this.db.prepare('SELECT doc FROM report_schedules ORDER BY id').all() as { doc: string }[]).map((r) => fromDocument<ReportSchedule>(r.doc));
  }

  async update(id: string, expectedVersion: number, patch: ReportSchedulePatch, commit?: Commit): Promise<ReportSchedule | null> {
    const write = this.db.transaction((): ReportSchedule | null => {
      const row = this.db.prepare('SELECT doc FROM report_schedules WHERE id = ? AND version = ?').get(id, expectedVersion) as { doc: string } | undefined;
      if (!row) return null;
      const current = fromDocument<ReportSchedule>(row.doc);
      const next: ReportSchedule = { ...current, ...patch, id: current.id, createdAt: current.createdAt, createdBy: current.createdBy, version: expectedVersion + 1 };
      // Round-trip through JSON so a field the patch set to undefined is gone, as in MongoDB.
      const doc = toDocument(next);
      this.db.prepare('UPDATE report_schedules SET version = ?, doc = ? WHERE id = ? AND version = ?').run(next.version, doc, id, expectedVersion);
      this.commits.write(commit);
      return fromDocument<ReportSchedule>(doc);
    });
    return write.immediate();
  }

  async delete(id: string, expectedVersion: number, commit?: Commit): Promise<boolean> {
    return this.db
      .transaction(() => {
        const deleted = this.db.prepare('DELETE FROM report_schedules WHERE id = ? AND version = ?').run(id, expectedVersion).changes === 1;
        if (deleted) this.commits.write(commit);
        return deleted;
      })
      .immediate();
  }
}
