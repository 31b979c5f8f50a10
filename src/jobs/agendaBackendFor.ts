import type { AgendaBackend } from 'agenda';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { Store } from '../store/store.js';
import { SqliteAgendaBackend } from './sqliteBackend/sqliteAgendaBackend.js';

/** Agenda runs on the store's own database: the SQLite file, or the MongoDB connection. */
export async function agendaBackendFor(store: Store): Promise<AgendaBackend> {
  if (store instanceof SqliteStore) return new SqliteAgendaBackend(store);
  // Loaded lazily, as the store itself is, so the embedded default never loads the driver.
  const { MongoStore } = await import('../store/mongo/mongoStore.js');
  if (store instanceof MongoStore) {
    const db = store.connection.db;
    if (!db) throw new Error('the MongoDB store is not connected: Agenda cannot use it');
    const { MongoAgendaBackend } = await import('./mongoAgendaBackend.js');
    return new MongoAgendaBackend(db);
  }
  throw new Error(`no Agenda backend for a ${store.kind} store`);
}
