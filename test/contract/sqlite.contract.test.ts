import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileRecordingStore } from '../../src/store/files/fileRecordingStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { defineRecordingContract } from './recordingContract.js';
import { defineStoreContract } from './storeContract.js';

defineStoreContract('sqlite', async () => {
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
