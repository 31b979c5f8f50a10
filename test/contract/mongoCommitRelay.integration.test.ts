import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Commit } from '../../src/store/commit.js';
import { storedCommit } from '../../src/store/mongo/mongoCommits.js';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { buildChange, T0 } from '../support/factories.js';
import { freshDatabaseName, mongoUriOrSkip } from '../support/mongoTestServer.js';

/**
 * What the relay markers are for (src/store/mongo/mongoCommits.ts): a process that dies
 * between writing a state with its commit and relaying it. The death is staged by writing
 * through the revisioned collection the way the repository does, then not relaying.
 */
const uri = mongoUriOrSkip('MongoDB commit relay after a crash');

if (uri !== undefined) {
  const commit = (id: string, object: string): Commit => ({
    id,
    at: T0,
    audit: [{ at: T0, status: 'S', eventType: 'APPROVE', class: 'CHANGE', actor: 'bob', object, change: object }],
    outbox: [],
  });

  describe('MongoDB commit relay after a crash', () => {
    let store: MongoStore;
    beforeEach(async () => {
      store = await MongoStore.connect(uri, { dbName: freshDatabaseName('relay') });
    });
    afterEach(async () => {
      try {
        await store.connection.dropDatabase();
      } finally {
        await store.close();
      }
    });

    it('relays a commit its writer never relayed, found through its marker, once', async () => {
      await store.changes.create(buildChange({ code: 'CHG-1' }));
      // The write as MongoChangeRepository.update makes it, and then the process "dies".
      await store.revisioned.changes.write('CHG-1', (current) => ({ ...current!, status: 'approved', version: 1 }), storedCommit(commit('c1', 'CHG-1')));
      expect((await store.audit.list({})).total).toBe(0);
      expect(await store.models.relayMarkers.countDocuments()).toBe(1);
      // The state is there already, its commit with it.
      expect(await store.changes.findByCode('CHG-1')).toMatchObject({ status: 'approved', version: 1 });
      expect(await store.relayPendingCommits()).toBe(1);
      expect(await store.relayPendingCommits()).toBe(0);
      expect((await store.audit.list({})).records.map((r) => [r.eventType, r.object])).toEqual([['APPROVE', 'CHG-1']]);
      expect(await store.models.relayMarkers.countDocuments()).toBe(0);
    });

    it('takes the revision number of a writer that died before writing it, so a late writer cannot slip in unrelayed', async () => {
      await store.changes.create(buildChange({ code: 'CHG-2' }));
      // A marker for revision 2 whose writer died before inserting it, a minute ago.
      await store.models.relayMarkers.collection.insertOne({ _id: 'change/CHG-2#2', kind: 'change', key: 'CHG-2', rev: 2, at: new Date(Date.now() - 60_000) } as never);
      await store.relayPendingCommits();
      expect(await store.models.relayMarkers.countDocuments()).toBe(0);
      expect(await store.models.revisions.countDocuments({ _id: 'change/CHG-2#2' })).toBe(1);
      // The change is as it was, and the next write goes after the taken number.
      expect(await store.changes.findByCode('CHG-2')).toMatchObject({ version: 0 });
      expect(await store.changes.update('CHG-2', 0, { status: 'approved' }, commit('c2', 'CHG-2'))).toMatchObject({ version: 1 });
      expect((await store.audit.list({})).total).toBe(1);
    });

    it('leaves a fresh marker alone: its writer may still be writing', async () => {
      await store.changes.create(buildChange({ code: 'CHG-3' }));
      await store.models.relayMarkers.collection.insertOne({ _id: 'change/CHG-3#2', kind: 'change', key: 'CHG-3', rev: 2, at: new Date() } as never);
      await store.relayPendingCommits();
      expect(await store.models.relayMarkers.countDocuments()).toBe(1);
      expect(await store.models.revisions.countDocuments({ _id: 'change/CHG-3#2' })).toBe(0);
    });
  });
}
