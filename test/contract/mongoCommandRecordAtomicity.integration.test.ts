import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainVerifier } from '../../src/domain/audit/verifyChain.js';
import type { ServiceDeps } from '../../src/services/serviceDeps.js';
import { storeCommandRecord } from '../../src/services/sessions/storeCommandRecord.js';
import { MongoCommandCommits } from '../../src/store/mongo/mongoCommandCommits.js';
import { MongoCommandRepository } from '../../src/store/mongo/mongoCommandRepository.js';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { DuplicateKeyError } from '../../src/store/storeErrors.js';
import { buildCommandRecord, buildSession } from '../support/factories.js';
import { freshDatabaseName, mongoUriOrSkip } from '../support/mongoTestServer.js';
import { serviceHarness } from '../support/serviceHarness.js';

/**
 * A judged command and its EXECUTE audit record are one unit on a MongoDB-wire server without
 * transactions (src/store/mongo/mongoCommandCommits.ts): the record rides in the command's
 * document, so a command never exists without the record it will have, and a refused command
 * leaves none. Failures are injected where the writes happen: the audit chain's append
 * refusing (as a server that goes away between the two would), a process that dies between
 * the insert and the relay (a writer without relay, as the repository writes), and the
 * command insert itself failing.
 */
const uri = mongoUriOrSkip('judged command and its audit record, all or nothing: mongo');

if (uri !== undefined) {
  describe('judged command and its audit record, all or nothing: mongo', () => {
    let store: MongoStore;
    let deps: ServiceDeps;
    beforeEach(async () => {
      store = await MongoStore.connect(uri, { dbName: freshDatabaseName('atomic') });
      ({ deps } = await serviceHarness(store));
    });
    afterEach(async () => {
      try {
        await store.connection.dropDatabase();
      } finally {
        await store.close();
      }
    });

    const record = buildCommandRecord({ id: 'cmd-1', line: 'rm -rf /var/cache/nginx', verdict: 'block', ruleIds: ['no-rm'], reason: 'rule no-rm' });
    const executeRecords = async () => (await store.audit.list({ eventType: 'EXECUTE' })).records;

    async function expectChainWhole(count: number): Promise<void> {
      const verifier = new ChainVerifier();
      const { records } = await store.audit.list({});
      for (const r of records) expect(verifier.add(r)).toBe(true);
      expect(verifier.finish(await store.audit.head())).toMatchObject({ ok: true, count });
    }

    it('a failing audit append leaves the command with its record pending, and the relay appends it once', async () => {
      const appendOnce = store.audit.appendOnce.bind(store.audit);
      store.audit.appendOnce = () => Promise.reject(new Error('injected failure: audit append'));
      try {
        // The command is durable with its record inside it: the use case has done its part.
        await storeCommandRecord(deps, buildSession(), record, 'block by no-rm');
      } finally {
        store.audit.appendOnce = appendOnce;
      }
      expect(await store.commands.listBySession('sess-1')).toEqual([record]);
      expect(await executeRecords()).toEqual([]);
      expect(await store.models.relayMarkers.countDocuments({ kind: 'command' })).toBe(1);
      expect(await store.relayPendingCommits()).toBe(1);
      expect(await store.relayPendingCommits()).toBe(0);
      expect((await executeRecords()).map((r) => [r.status, r.command, r.details, r.reason])).toEqual([['D', record.line, 'block by no-rm in session sess-1', 'rule no-rm']]);
      expect(await store.models.relayMarkers.countDocuments()).toBe(0);
      await expectChainWhole(1);
    });

    it('a process that dies between the insert and the relay leaves the record to every process\'s relay, once', async () => {
      // The write as MongoCommandRepository.append makes it, by a process that then "dies" (no relay).
      const dying = new MongoCommandRepository(store.models, new MongoCommandCommits(store.models.commands, store.models.relayMarkers));
      const other = buildCommandRecord({ id: 'cmd-2', line: 'uptime' });
      await storeCommandRecord({ ...deps, store: { ...deps.store, commands: dying } as typeof deps.store }, buildSession(), other, 'allow');
      expect(await executeRecords()).toEqual([]);
      const second = await MongoStore.connect(uri, { dbName: store.connection.db!.databaseName });
      try {
        expect((await Promise.all([store.relayPendingCommits(), second.relayPendingCommits()])).reduce((a, b) => a + b)).toBeGreaterThanOrEqual(1);
      } finally {
        await second.close();
      }
      expect((await executeRecords()).map((r) => [r.status, r.command])).toEqual([['S', 'uptime']]);
      // The command document keeps its commit (never rewritten, so its exit status is never lost to a race).
      await store.commands.setExitStatus('cmd-2', 0);
      expect(await store.relayPendingCommits()).toBe(0);
      expect(await store.commands.listBySession('sess-1')).toEqual([{ ...other, exitStatus: 0 }]);
      await expectChainWhole(1);
    });

    it('a failing command insert leaves no audit record, then or after any relay', async () => {
      const insertOne = store.models.commands.collection.insertOne.bind(store.models.commands.collection);
      store.models.commands.collection.insertOne = (() => Promise.reject(new Error('injected failure: command insert'))) as never;
      try {
        await expect(storeCommandRecord(deps, buildSession(), record, 'block by no-rm')).rejects.toThrow(/injected failure: command insert/);
      } finally {
        store.models.commands.collection.insertOne = insertOne;
      }
      expect(await store.commands.listBySession('sess-1')).toEqual([]);
      expect(await store.relayPendingCommits()).toBe(0);
      // Its marker, once stale, names a write that never happened: it goes, and still nothing is appended.
      await store.models.relayMarkers.collection.updateMany({}, { $set: { at: new Date(Date.now() - 60_000) } });
      expect(await store.relayPendingCommits()).toBe(0);
      expect(await store.models.relayMarkers.countDocuments()).toBe(0);
      expect((await store.audit.list({})).total).toBe(0);
      expect(await store.audit.head()).toBeNull();
    });

    it('a command refused for its id writes none of its record, and the first command\'s record stays single', async () => {
      await storeCommandRecord(deps, buildSession(), record, 'block by no-rm');
      const clash = buildCommandRecord({ id: 'cmd-1', line: 'reboot' });
      await expect(storeCommandRecord(deps, buildSession(), clash, 'allow')).rejects.toBeInstanceOf(DuplicateKeyError);
      await store.models.relayMarkers.collection.updateMany({}, { $set: { at: new Date(Date.now() - 60_000) } });
      await store.relayPendingCommits();
      expect((await executeRecords()).map((r) => r.command)).toEqual([record.line]);
      expect((await store.commands.search({ limit: 10, offset: 0, words: ['reboot'] })).records).toEqual([]);
      expect(await store.models.relayMarkers.countDocuments()).toBe(0);
      await expectChainWhole(1);
    });
  });
}
