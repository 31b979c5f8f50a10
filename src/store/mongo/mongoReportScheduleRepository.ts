import type { ReportSchedule } from '../../domain/reports/reportSchedule.js';
import type { ReportSchedulePatch, ReportScheduleRepository } from '../reportScheduleRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, fromStored, isDuplicateKey, patchUpdate, requireNumber, toStored } from './mongoDocument.js';
import type { MongoModels, ReportScheduleDoc } from './mongoModels.js';

export class MongoReportScheduleRepository implements ReportScheduleRepository {
  constructor(private readonly models: Pick<MongoModels, 'reportSchedules'>) {}

  async create(schedule: ReportSchedule): Promise<void> {
    try {
      await this.models.reportSchedules.collection.insertOne(toStored({ ...schedule }));
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('report schedule', schedule.id);
      throw error;
    }
  }

  async findById(id: string): Promise<ReportSchedule | null> {
    const doc = await this.models.reportSchedules.findOne({ id: eq(id) }).lean<ReportScheduleDoc>();
    return doc ? fromStored(doc) : null;
  }

  async list(): Promise<ReportSchedule[]> {
    const docs = await this.models.reportSchedules.find({}).sort({ id: 1 }).lean<ReportScheduleDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async update(id: string, expectedVersion: number, patch: ReportSchedulePatch): Promise<ReportSchedule | null> {
    // The version precondition and the write are one server-side operation.
    const doc = await this.models.reportSchedules
      .findOneAndUpdate(
        { id: eq(id), version: { $eq: requireNumber(expectedVersion) } },
        { ...patchUpdate(patch, ['id', 'version', 'createdAt', 'createdBy']), $inc: { version: 1 } },
        { returnDocument: 'after' },
      )
      .lean<ReportScheduleDoc>();
    return doc ? fromStored(doc) : null;
  }

  async delete(id: string, expectedVersion: number): Promise<boolean> {
    const result = await this.models.reportSchedules.deleteOne({ id: eq(id), version: { $eq: requireNumber(expectedVersion) } });
    return result.deletedCount === 1;
  }
}
