import type { ReportSchedule } from '../domain/reports/reportSchedule.js';
import type { Commit } from './commit.js';

/** Fields a write may set; `id`, `version`, `createdAt` and `createdBy` are fixed. */
export type ReportSchedulePatch = Partial<Omit<ReportSchedule, 'id' | 'version' | 'createdAt' | 'createdBy'>>;

/** Scheduled reports (`/change report schedule ...`, the web form). */
export interface ReportScheduleRepository {
  /** @throws DuplicateKeyError when the id is taken. */
  create(schedule: ReportSchedule, commit?: Commit): Promise<void>;
  findById(id: string): Promise<ReportSchedule | null>;
  /** By id. */
  list(): Promise<ReportSchedule[]>;
  /** Applies `patch` only if the stored schedule still has `expectedVersion`; null otherwise. */
  update(id: string, expectedVersion: number, patch: ReportSchedulePatch, commit?: Commit): Promise<ReportSchedule | null>;
  /** Deletes only if the stored schedule still has `expectedVersion`. */
  delete(id: string, expectedVersion: number, commit?: Commit): Promise<boolean>;
}
