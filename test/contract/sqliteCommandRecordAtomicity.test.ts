import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainVerifier } from '../../src/domain/audit/verifyChain.js';
import type { ServiceDeps } from '../../src/services/serviceDeps.js';
import { storeCommandRecord } from '../../src/services/sessions/storeCommandRecord.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { buildCommandRecord, buildSession } from '../support/factories.js';
import { serviceHarness } from '../support/serviceHarness.js';

/**
 * A judged command and its EXECUTE audit record are one unit on SQLite: a failure in either
 * write leaves nothing of the other, search index included. The failures are the database's
 * own (a trigger aborting one of the inserts inside the transaction), not a stub.
 */
describe('judged command and its audit record, all or nothing: sqlite', () => {
  let dir: string;
  let store: SqliteStore;
  let deps: ServiceDeps;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'changeguard-atomic-'));
    store = SqliteStore.open(join(dir, 'changeguard.db'));
    ({ deps } = await serviceHarness(store));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const failInsertsInto = (table: string) =>
    store.db.exec(`CREATE TRIGGER injected_failure BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'injected failure on ${table}'); END`);
  const healed = () => store.db.exec('DROP TRIGGER injected_failure');
  const count = (table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const record = buildCommandRecord({ id: 'cmd-1', line: 'rm -rf /var/cache/nginx', verdict: 'block', ruleIds: ['no-rm'], reason: 'rule no-rm' });

  async function expectNothingStored(): Promise<void> {
    expect(await store.commands.listBySession('sess-1')).toEqual([]);
    expect((await store.commands.search({ limit: 10, offset: 0, words: ['nginx'] })).records).toEqual([]);
    expect(await store.commands.countRuleMatches('alice', 'no-rm')).toBe(0);
    expect({ commands: count('commands'), words: count('commands_words'), days: count('command_days'), rules: count('command_rules') }).toEqual({ commands: 0, words: 0, days: 0, rules: 0 });
    expect((await store.audit.list({})).total).toBe(0);
    expect(await store.audit.head()).toBeNull();
  }

  it('a failing audit append leaves no command, no search index row and no record', async () => {
    failInsertsInto('audit_records');
    await expect(storeCommandRecord(deps, buildSession(), record, 'block by no-rm')).rejects.toThrow(/injected failure on audit_records/);
    await expectNothingStored();
  });

  it('a failing command insert (its search index) leaves no audit record and the chain as it was', async () => {
    failInsertsInto('command_days');
    await expect(storeCommandRecord(deps, buildSession(), record, 'block by no-rm')).rejects.toThrow(/injected failure on command_days/);
    await expectNothingStored();
  });

  it('once the failure is gone, the same command lands whole: searchable, with its record chained', async () => {
    failInsertsInto('audit_records');
    await expect(storeCommandRecord(deps, buildSession(), record, 'block by no-rm')).rejects.toThrow();
    healed();
    await storeCommandRecord(deps, buildSession(), record, 'block by no-rm');
    expect(await store.commands.listBySession('sess-1')).toEqual([record]);
    expect((await store.commands.search({ limit: 10, offset: 0, words: ['nginx'] })).records).toEqual([record]);
    expect(await store.commands.countRuleMatches('alice', 'no-rm')).toBe(1);
    const { records } = await store.audit.list({});
    expect(records.map((r) => [r.eventType, r.status, r.command, r.details, r.reason])).toEqual([['EXECUTE', 'D', record.line, 'block by no-rm in session sess-1', 'rule no-rm']]);
    const verifier = new ChainVerifier();
    for (const r of records) verifier.add(r);
    expect(verifier.finish(await store.audit.head())).toMatchObject({ ok: true, count: 1 });
  });
});
