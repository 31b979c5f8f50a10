import { MongoBackend, type Db } from '@agendajs/mongo-backend';
import type { AgendaBackend, JobLogger, JobRepository } from 'agenda';

export const MONGO_JOBS_COLLECTION = 'agenda_jobs';

/**
 * Agenda on the store's MongoDB database (the mongoose connection's `Db`, shared, never
 * closed by Agenda), with @agendajs/mongo-backend's repository. Beside its own index it adds
 * unique indexes on the keys changeguard schedules by, so two processes upserting the same
 * job at once (both reconciling at start) end up with one job: the server retries the
 * losing upsert as an update.
 */
export class MongoAgendaBackend implements AgendaBackend {
  readonly name = 'MongoDB';
  readonly ownsConnection = false;
  private readonly inner: MongoBackend;

  constructor(private readonly db: Db) {
    this.inner = new MongoBackend({ mongo: db, collection: MONGO_JOBS_COLLECTION });
  }

  get repository(): JobRepository {
    return this.inner.repository;
  }

  get logger(): JobLogger {
    return this.inner.logger;
  }

  async connect(): Promise<void> {
    await this.inner.connect();
    const jobs = this.db.collection(MONGO_JOBS_COLLECTION);
    await jobs.createIndex(
      { name: 1, 'data.code': 1 },
      { unique: true, name: 'changeguard_one_job_per_change', partialFilterExpression: { 'data.code': { $type: 'string' } } },
    );
    await jobs.createIndex(
      { name: 1, 'data.scheduleId': 1 },
      { unique: true, name: 'changeguard_one_job_per_report_schedule', partialFilterExpression: { 'data.scheduleId': { $type: 'string' } } },
    );
  }

  async disconnect(): Promise<void> {
    await this.inner.disconnect();
  }
}
