import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteJobRepository } from '../../src/jobs/sqliteBackend/sqliteJobRepository.js';
import { FileRecordingStore } from '../../src/store/files/fileRecordingStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { defineDeviationContract } from './deviationContract.js';
import { defineLinkNonceContract } from './linkNonceContract.js';
import { defineJobRepositoryContract } from './jobRepositoryContract.js';
import { defineOutboxContract } from './outboxContract.js';
import { defineRecordingContract } from './recordingContract.js';
import { defineReportScheduleContract } from './reportScheduleContract.js';
import { defineSlackMessageContract } from './slackMessageContract.js';
import { defineStoreContract, type OpenedStore } from './storeContract.js';

interface OpenedSqlite extends OpenedStore {
  readonly store: SqliteStore;
  readonly openSecond: () => Promise<SqliteStore>;
}

async function openSqlite(): Promise<OpenedSqlite> {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-contract-'));
  const file = join(dir, 'changeguard.db');
  const store = SqliteStore.open(file);
  return {
    store,
    openSecond: async () => SqliteStore.open(file),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

defineStoreContract('sqlite', openSqlite);
defineLinkNonceContract('sqlite', openSqlite);
defineOutboxContract('sqlite', openSqlite);
defineSlackMessageContract('sqlite', openSqlite);
defineReportScheduleContract('sqlite', openSqlite);
defineDeviationContract('sqlite', openSqlite);
defineJobRepositoryContract('sqlite', async () => {
  const opened = await openSqlite();
  return {
    repository: new SqliteJobRepository(opened.store.db),
    openSecond: async () => {
      const second = await opened.openSecond();
      return { repository: new SqliteJobRepository(second.db), close: () => second.close() };
    },
    cleanup: opened.cleanup,
  };
});

// The embedded default keeps recordings as files beside the SQLite database.
defineRecordingContract('files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-recordings-'));
  return {
    recordings: new FileRecordingStore(join(dir, 'recordings')),
    openSecond: async () => new FileRecordingStore(join(dir, 'recordings')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
