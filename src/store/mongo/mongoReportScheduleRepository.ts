import type { ReportSchedule } from '../../domain/reports/reportSchedule.js';
import type { Commit } from '../commit.js';
import type { ReportSchedulePatch, ReportScheduleRepository } from '../reportScheduleRepository.js';
import { relaySoon, storedCommit, type MongoCommitRelay } from './mongoCommits.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { applyPatch, fromStored, requireNumber, requireString, toStored } from './mongoDocument.js';
import type { MongoModels, ReportScheduleDoc } from './mongoModels.js';
import type { MongoRevisioned } from './mongoRevisioned.js';
import { DELETED_FIELD } from './revisionedCollection.js';

export class MongoReportScheduleRepository implements ReportScheduleRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'reportSchedules'>,
    private readonly schedules: MongoRevisioned['reportSchedules'],
    private readonly relay?: MongoCommitRelay,
  ) {}

  async create(schedule: ReportSchedule, commit?: Commit): Promise<void> {
    if (!(await this.schedules.insert(requireString(schedule.id), toStored({ ...schedule }), storedCommit(commit)))) throw new DuplicateKeyError('report schedule', schedule.id);
    if (commit) await relaySoon(this.relay, this.schedules.kind, schedule.id);
  }

  async findById(id: string): Promise<ReportSchedule | null> {
    const { doc } = await this.schedules.current(requireString(id));
    return doc ? fromStored<ReportSchedule>(doc) : null;
  }

  async list(): Promise<ReportSchedule[]> {
    const docs = await this.models.reportSchedules.find({ [DELETED_FIELD]: { $ne: true } }).sort({ id: 1 }).lean<ReportScheduleDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async update(id: string, expectedVersion: number, patch: ReportSchedulePatch, commit?: Commit): Promise<ReportSchedule | null> {
    requireNumber(expectedVersion);
    const outcome = await this.schedules.write(
      requireString(id),
      (current) =>
        current !== null && current.version === expectedVersion
          ? applyPatch({ ...current, version: current.version + 1 }, patch, ['id', 'version', 'createdAt', 'createdBy'])
          : undefined,
      storedCommit(commit),
    );
    if (!outcome.written || !outcome.doc) return null;
    if (commit) await relaySoon(this.relay, this.schedules.kind, id);
    return fromStored<ReportSchedule>(outcome.doc);
  }

  /** A deletion with a commit leaves a tombstone carrying it until relayed (mongoCommits.ts). */
  async delete(id: string, expectedVersion: number, commit?: Commit): Promise<boolean> {
    requireNumber(expectedVersion);
    const outcome = await this.schedules.write(
      requireString(id),
      (current) => (current !== null && current.version === expectedVersion ? null : undefined),
      storedCommit(commit),
    );
    if (outcome.written && commit) await relaySoon(this.relay, this.schedules.kind, id);
    return outcome.written;
  }
}
