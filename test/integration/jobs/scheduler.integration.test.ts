import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoStore } from '../../../src/store/mongo/mongoStore.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { freshDatabaseName, mongoUriOrSkip } from '../../support/mongoTestServer.js';
import { defineSchedulerSuite } from './schedulerSuite.js';

defineSchedulerSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-jobs-'));
  const file = join(dir, 'changeguard.db');
  return { connect: async () => SqliteStore.open(file), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

const uri = mongoUriOrSkip('scheduler on Agenda: mongo');
if (uri !== undefined) {
  defineSchedulerSuite('mongo', async () => {
    const dbName = freshDatabaseName('jobs');
    return {
      connect: () => MongoStore.connect(uri, { dbName }),
      cleanup: async () => {
        const store = await MongoStore.connect(uri, { dbName });
        try {
          await store.connection.dropDatabase();
        } finally {
          await store.close();
        }
      },
    };
    // Agenda polls once per job name per process each time: FerretDB answers every such query
    // by scanning the collection (it pushes down only `_id` lookups), which at 50 ms with two
    // processes keeps it saturated. Steps still run on time: jobs due before the next poll
    // are locked ahead and started on a timer. (Production polls every 5 s.)
  }, { processEveryMs: 250, twoProcessWindow: { startMs: 6000, endMs: 12000 } });
}
