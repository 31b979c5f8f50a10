import { describe, expect, it } from 'vitest';
import type { DeviationRequest } from '../../src/domain/deviation/deviationRequest.js';
import type { Commit } from '../../src/store/commit.js';
import type { Store } from '../../src/store/store.js';
import { DuplicateKeyError } from '../../src/store/storeErrors.js';
import { T0 } from '../support/factories.js';
import { openForEachTest } from './openForEachTest.js';
import type { OpenedStore } from './storeContract.js';

function buildRequest(overrides: Partial<DeviationRequest> = {}): DeviationRequest {
  return {
    id: 'dev-1',
    changeCode: 'CHG-1',
    sessionId: 'sess-1',
    requester: 'alice',
    device: 'web01',
    line: 'systemctl restart nginx',
    ruleIds: ['review-systemctl'],
    commandId: 'cmd-1',
    requestedAt: T0,
    expiresAt: new Date(T0.getTime() + 300_000),
    status: 'pending',
    ...overrides,
  };
}

const commit = (id: string, eventType: string): Commit => ({
  id,
  at: T0,
  audit: [{ at: T0, status: 'S', eventType, class: 'COMMAND', actor: 'bob', object: 'web01', change: 'CHG-1' }],
  outbox: [],
});

/** The deviation requests repository, registered once per backend. */
export function defineDeviationContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`deviation repository: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    openForEachTest(open, (o) => {
      opened = o;
      store = opened.store;
    });

    it('creates, finds, lists by change in request order and round-trips every field', async () => {
      const later = buildRequest({ id: 'dev-2', requestedAt: new Date(T0.getTime() + 1000), commandId: 'cmd-2' });
      await store.deviations.create(later);
      await store.deviations.create(buildRequest(), commit('c-req', 'DEVIATION_REQUEST'));
      await store.deviations.create(buildRequest({ id: 'dev-3', changeCode: 'CHG-2' }));
      expect(await store.deviations.findById('dev-1')).toEqual(buildRequest());
      expect(await store.deviations.findById('nope')).toBeNull();
      expect((await store.deviations.listByChange('CHG-1')).map((r) => r.id)).toEqual(['dev-1', 'dev-2']);
      await expect(store.deviations.create(buildRequest())).rejects.toBeInstanceOf(DuplicateKeyError);
      await store.relayPendingCommits();
      const events = [];
      for await (const record of store.audit.iterate()) events.push(record.eventType);
      expect(events).toEqual(['DEVIATION_REQUEST']);
    });

    it('settles a pending request once: a second settlement, from another connection, finds it settled and writes nothing', async () => {
      await store.deviations.create(buildRequest());
      const second = await opened.openSecond();
      try {
        const decidedAt = new Date(T0.getTime() + 5000);
        const allowed = await second.deviations.settle('dev-1', 'pending', { status: 'allowed', decidedBy: 'bob', decidedAt }, commit('c-allow', 'DEVIATION_ALLOW'));
        expect(allowed).toEqual({ ...buildRequest(), status: 'allowed', decidedBy: 'bob', decidedAt });
        // The waiting side sees it through its own connection.
        expect(await store.deviations.findById('dev-1')).toMatchObject({ status: 'allowed', decidedBy: 'bob' });
        expect(await store.deviations.settle('dev-1', 'pending', { status: 'timed_out', decidedBy: 'system', decidedAt }, commit('c-late', 'DEVIATION_TIMEOUT'))).toBeNull();
        expect(await store.deviations.settle('nope', 'pending', { status: 'denied' })).toBeNull();
        await store.relayPendingCommits();
        await second.relayPendingCommits();
        const events = [];
        for await (const record of store.audit.iterate()) events.push(record.eventType);
        expect(events).toEqual(['DEVIATION_ALLOW']);
        expect((await store.deviations.listByChange('CHG-1')).map((r) => r.status)).toEqual(['allowed']);
      } finally {
        await second.close();
      }
    });

    it('lets exactly one of racing settlements win', async () => {
      await store.deviations.create(buildRequest());
      const second = await opened.openSecond();
      try {
        const outcomes = await Promise.all([
          store.deviations.settle('dev-1', 'pending', { status: 'allowed', decidedBy: 'bob', decidedAt: T0 }),
          second.deviations.settle('dev-1', 'pending', { status: 'denied', decidedBy: 'carol', decidedAt: T0 }),
          store.deviations.settle('dev-1', 'pending', { status: 'cancelled', decidedBy: 'alice', decidedAt: T0 }),
        ]);
        const winners = outcomes.filter((o) => o !== null);
        expect(winners).toHaveLength(1);
        expect((await second.deviations.findById('dev-1'))?.status).toBe(winners[0]?.status);
      } finally {
        await second.close();
      }
    });
  });
}
