import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { defineReportScheduleContract } from './reportScheduleContract.js';
import { defineStoreContract, type OpenedStore } from './storeContract.js';

async function openSqlite(): Promise<OpenedStore> {
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
defineReportScheduleContract('sqlite', openSqlite);
