import { MongoJobLogger, type Db } from '@agendajs/mongo-backend';
import type { AgendaBackend, JobLogger } from 'agenda';
import { MongoWireJobRepository } from './mongoWireJobRepository.js';

export const MONGO_JOBS_COLLECTION = 'agenda_jobs';

/**
 * Agenda on the store's MongoDB database (the mongoose connection's `Db`, shared, never
 * closed by Agenda), with @agendajs/mongo-backend's repository made safe on every
 * MongoDB-wire server (mongoWireJobRepository.ts: claims for locks, a unique key for
 * upserts), so two processes never run one job twice, FerretDB included. No change streams:
 * Agenda polls, as it does on SQLite.
 */
export class MongoAgendaBackend implements AgendaBackend {
  readonly name = 'MongoDB';
  readonly ownsConnection = false;
  readonly repository: MongoWireJobRepository;
  private readonly jobLogger = new MongoJobLogger();

  constructor(db: Db) {
    this.repository = new MongoWireJobRepository(db, MONGO_JOBS_COLLECTION);
  }

  get logger(): JobLogger {
    return this.jobLogger;
  }

  /** The job logger stays unconnected: the Scheduler leaves Agenda's persistent job logging off. */
  async connect(): Promise<void> {
    await this.repository.connect();
  }

  async disconnect(): Promise<void> {
    await this.repository.disconnect();
  }
}

