/**
 * A separate process running Agenda on a SQLite file, for the two-process test: each run of
 * the `probe` job is recorded in `probe_runs` with the worker's name. Prints `ready` once
 * taking jobs; on SIGTERM drains and exits.
 * Usage: node --import tsx test/support/agendaWorkerProcess.ts <file> <worker-name>
 */
import { Agenda } from 'agenda';
import { SqliteAgendaBackend } from '../../src/jobs/sqliteBackend/sqliteAgendaBackend.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';

const [file, worker] = process.argv.slice(2);
if (!file || !worker) throw new Error('usage: agendaWorkerProcess.ts <sqlite file> <worker name>');

const store = SqliteStore.open(file);
const agenda = new Agenda({ backend: new SqliteAgendaBackend(store), name: worker, processEvery: 25, defaultConcurrency: 10 });
agenda.define('probe', async (job) => {
  store.db.prepare('INSERT INTO probe_runs (job_id, worker) VALUES (?, ?)').run(String(job.attrs._id), worker);
});
await agenda.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void agenda
    .drain(5000)
    .then(() => store.close())
    .then(() => process.exit(0));
});
