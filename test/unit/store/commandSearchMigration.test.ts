import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A database as the version before command search left it, with commands already stored. */
function databaseBeforeSearch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-migration-'));
  dirs.push(dir);
  const file = join(dir, 'changeguard.db');
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  for (const migration of MIGRATIONS.filter((m) => m.id < '007')) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(migration.id, new Date().toISOString());
  }
  const insert = db.prepare('INSERT INTO commands (id, session_id, change_code, user, at, doc) VALUES (?, ?, ?, ?, ?, ?)');
  const old = (id: string, line: string, verdict: string, device: string, at: string) =>
    insert.run(id, 'sess-1', 'CHG-1', 'alice', Date.parse(at), JSON.stringify({ id, sessionId: 'sess-1', changeCode: 'CHG-1', user: 'alice', device, at, source: 'shell', line, commands: [line], effective: [line], verdict, ruleIds: [], risk: null }));
  old('old-1', 'sudo systemctl restart Nginx', 'allow', 'web01', '2026-01-01T10:00:00.000Z');
  old('old-2', 'rm -rf /srv/cache', 'block', 'web02', '2026-01-01T10:01:00.000Z');
  db.close();
  return file;
}

describe('migration 007-command-search', () => {
  it('indexes the commands stored before it: words, device and verdict become searchable', async () => {
    const store = SqliteStore.open(databaseBeforeSearch());
    try {
      const found = async (query: Omit<Parameters<typeof store.commands.search>[0], 'limit' | 'offset'>) =>
        (await store.commands.search({ limit: 10, offset: 0, ...query })).records.map((r) => r.id);
      expect(await found({ words: ['nginx'] })).toEqual(['old-1']);
      expect(await found({ device: 'web02' })).toEqual(['old-2']);
      expect(await found({ verdicts: ['block'] })).toEqual(['old-2']);
      expect(await found({ words: ['srv'], verdicts: ['allow'] })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
