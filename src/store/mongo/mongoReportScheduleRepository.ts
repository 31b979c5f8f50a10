import type { ReportSchedule } from '../../domain/reports/reportSchedule.js';
import type { Commit } from '../commit.js';
import type { ReportSchedulePatch, ReportScheduleRepository } from '../reportScheduleRepository.js';
import { LIVE, mergeUpdates, pushCommit, relaySoon, withCommit, type MongoCommitRelay } from './mongoCommits.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, fromStored, isDuplicateKey, patchUpdate, requireNumber, toStored } from './mongoDocument.js';
import type { MongoModels, ReportScheduleDoc } from './mongoModels.js';

export class MongoReportScheduleRepository implements ReportScheduleRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'reportSchedules'>,
    private readonly relay?: MongoCommitRelay,
  ) {}

  async create(schedule: ReportSchedule, commit?: Commit): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const inserted = await this.models.reportSchedules.collection.insertOne(withCommit(toStored({ ...schedule }), commit));
        if (commit) await relaySoon(this.relay, 'reportSchedules', inserted.insertedId);
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // A deleted schedule's tombstone frees its id once its deletion is relayed.
        const tombstone = await this.models.reportSchedules.collection.findOne({ id: eq(schedule.id), removedAt: { $exists: true } });
        if (!tombstone || attempt > 0) throw new DuplicateKeyError('report schedule', schedule.id);
        await relaySoon(this.relay, 'reportSchedules', tombstone._id);
      }
    }
  }

  async findById(id: string): Promise<ReportSchedule | null> {
    const doc = await this.models.reportSchedules.findOne({ id: eq(id), ...LIVE }).lean<ReportScheduleDoc>();
    return doc ? fromStored(doc) : null;
  }

  async list(): Promise<ReportSchedule[]> {
    const docs = await this.models.reportSchedules.find({ ...LIVE }).sort({ id: 1 }).lean<ReportScheduleDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async update(id: string, expectedVersion: number, patch: ReportSchedulePatch, commit?: Commit): Promise<ReportSchedule | null> {
    // The version precondition, the write and its commit are one server-side operation.
    const doc = await this.models.reportSchedules
      .findOneAndUpdate(
        { id: eq(id), version: { $eq: requireNumber(expectedVersion) }, ...LIVE },
        mergeUpdates(patchUpdate(patch, ['id', 'version', 'createdAt', 'createdBy', 'pendingCommits', 'pendingCommitCount', 'removedAt']), { $inc: { version: 1 } }, pushCommit(commit)),
        { returnDocument: 'after' },
      )
      .lean<ReportScheduleDoc & { _id: unknown }>();
    if (!doc) return null;
    if (commit) await relaySoon(this.relay, 'reportSchedules', doc._id);
    return fromStored(doc);
  }

  /** A deletion leaves a tombstone carrying its commit; the relay removes it (mongoCommits.ts). */
  async delete(id: string, expectedVersion: number, commit?: Commit): Promise<boolean> {
    const doc = await this.models.reportSchedules.collection.findOneAndUpdate(
      { id: eq(id), version: { $eq: requireNumber(expectedVersion) }, ...LIVE },
      mergeUpdates({ $set: { removedAt: new Date() } }, pushCommit(commit)),
      { returnDocument: 'after' },
    );
    if (!doc) return false;
    await relaySoon(this.relay, 'reportSchedules', doc._id);
    if (!commit) await this.models.reportSchedules.collection.deleteOne({ _id: doc._id, removedAt: { $exists: true }, pendingCommitCount: { $exists: false } });
    return true;
  }
}
