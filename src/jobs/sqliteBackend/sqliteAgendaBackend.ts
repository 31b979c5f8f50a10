import type { AgendaBackend } from 'agenda';
import type { SqliteStore } from '../../store/sqlite/sqliteStore.js';
import { SqliteJobRepository } from './sqliteJobRepository.js';

/**
 * Agenda's backend for the embedded default: jobs live in the store's own SQLite file, on
 * its connection, so they survive restarts with everything else and need nothing to run.
 * No notification channel: Agenda polls (`processEvery`). The store owns the connection;
 * stopping Agenda leaves it open.
 */
export class SqliteAgendaBackend implements AgendaBackend {
  readonly name = 'SQLite';
  readonly ownsConnection = false;
  readonly repository: SqliteJobRepository;

  constructor(store: SqliteStore) {
    this.repository = new SqliteJobRepository(store.db);
  }

  async connect(): Promise<void> {
    await this.repository.connect();
  }

  async disconnect(): Promise<void> {}
}
