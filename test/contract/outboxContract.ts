import { describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../src/store/outboxRepository.js';
import type { Store } from '../../src/store/store.js';
import { T0 } from '../support/factories.js';
import type { OpenedStore } from './storeContract.js';
import { openForEachTest } from './openForEachTest.js';

function message(overrides: Partial<OutboxMessage> & { id: string }): OutboxMessage {
  return {
    type: 'command.block',
    audience: 'role:security',
    channel: 'C01SECURITY',
    placement: { kind: 'post' },
    payload: { command: { line: 'rm -rf /', verdict: 'block' }, details: { 'odd.key': 1, $dollar: true, at: '2026-11-22T09:00:00.000Z' } },
    text: 'blocked: rm -rf /',
    status: 'pending',
    attempts: 0,
    nextAttemptAt: T0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

const later = (ms: number) => new Date(T0.getTime() + ms);

/** The outbox's behaviour on every store: dedupe, exclusive claims, retries, listing. */
export function defineOutboxContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`outbox contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    openForEachTest(open, (o) => {
      opened = o;
      store = opened.store;
    });

    it('round-trips a message, payload untouched (dates stay strings, odd keys survive)', async () => {
      const stored = message({ id: 'm1', dedupeKey: 'k1', placement: { kind: 'post', threadTs: '1.0001' } });
      expect(await store.outbox.enqueue(stored)).toBe(true);
      expect(await store.outbox.findById('m1')).toEqual(stored);
      const minimal = message({ id: 'm2', channel: undefined, status: 'not_sent', lastError: 'Slack not configured' });
      await store.outbox.enqueue(minimal);
      const { channel: _channel, ...withoutChannel } = minimal;
      expect(await store.outbox.findById('m2')).toEqual(withoutChannel);
      expect(await store.outbox.findById('nope')).toBeNull();
    });

    it('keeps the first message of a dedupe key, and any number without a key', async () => {
      expect(await store.outbox.enqueue(message({ id: 'm1', dedupeKey: 'same' }))).toBe(true);
      expect(await store.outbox.enqueue(message({ id: 'm2', dedupeKey: 'same', text: 'second' }))).toBe(false);
      expect(await store.outbox.enqueue(message({ id: 'm3' }))).toBe(true);
      expect(await store.outbox.enqueue(message({ id: 'm4' }))).toBe(true);
      expect(await store.outbox.findById('m2')).toBeNull();
      expect((await store.outbox.list({})).map((m) => m.id).sort()).toEqual(['m1', 'm3', 'm4']);
    });

    it('claims only due messages, oldest due first, counting an attempt', async () => {
      await store.outbox.enqueue(message({ id: 'late', nextAttemptAt: later(60_000) }));
      await store.outbox.enqueue(message({ id: 'second', nextAttemptAt: later(2000) }));
      await store.outbox.enqueue(message({ id: 'first', nextAttemptAt: later(1000) }));
      await store.outbox.enqueue(message({ id: 'unsent', status: 'not_sent' }));
      const claimed = await store.outbox.claimDue({ now: later(5000), owner: 'w1', claimMs: 30_000, limit: 10 });
      expect(claimed.map((m) => m.id)).toEqual(['first', 'second']);
      expect(claimed[0]).toMatchObject({ status: 'sending', attempts: 1, claimedBy: 'w1', claimedUntil: later(35_000) });
      expect(await store.outbox.claimDue({ now: later(5000), owner: 'w2', claimMs: 30_000, limit: 10 })).toEqual([]);
      expect((await store.outbox.claimDue({ now: later(5000), owner: 'w2', claimMs: 1, limit: 0 })).length).toBe(0);
    });

    it('gives an expired claim to another worker, and only the holder may settle it', async () => {
      await store.outbox.enqueue(message({ id: 'm1' }));
      await store.outbox.claimDue({ now: T0, owner: 'w1', claimMs: 10_000, limit: 1 });
      const [retaken] = await store.outbox.claimDue({ now: later(10_000), owner: 'w2', claimMs: 10_000, limit: 1 });
      expect(retaken).toMatchObject({ id: 'm1', attempts: 2, claimedBy: 'w2' });
      expect(await store.outbox.markDelivered('m1', 'w1', { at: later(11_000), channel: 'C1', ts: '1.1' })).toBe(false);
      expect(await store.outbox.markDelivered('m1', 'w2', { at: later(11_000), channel: 'D01BOB', ts: '2.2' })).toBe(true);
      const delivered = await store.outbox.findById('m1');
      expect(delivered).toMatchObject({ status: 'delivered', deliveredAt: later(11_000), delivered: { channel: 'D01BOB', ts: '2.2' }, attempts: 2 });
      expect(delivered?.claimedBy).toBeUndefined();
      expect(await store.outbox.markDelivered('m1', 'w2', { at: later(12_000), channel: 'C1', ts: '3.3' })).toBe(false);
      expect(await store.outbox.claimDue({ now: later(99_000), owner: 'w3', claimMs: 1, limit: 5 })).toEqual([]);
    });

    it('puts a failed attempt back for later, or fails it for good', async () => {
      await store.outbox.enqueue(message({ id: 'retry' }));
      await store.outbox.enqueue(message({ id: 'give-up' }));
      await store.outbox.claimDue({ now: T0, owner: 'w1', claimMs: 10_000, limit: 2 });
      expect(await store.outbox.markFailed('retry', 'w2', { at: later(1), error: 'not mine', retryAt: later(5000) })).toBe(false);
      expect(await store.outbox.markFailed('retry', 'w1', { at: later(1), error: 'HTTP 429', retryAt: later(5000) })).toBe(true);
      expect(await store.outbox.markFailed('give-up', 'w1', { at: later(1), error: 'channel_not_found', retryAt: null })).toBe(true);
      expect(await store.outbox.findById('retry')).toMatchObject({ status: 'pending', lastError: 'HTTP 429', nextAttemptAt: later(5000), attempts: 1 });
      expect(await store.outbox.findById('give-up')).toMatchObject({ status: 'failed', lastError: 'channel_not_found' });
      expect(await store.outbox.claimDue({ now: later(4999), owner: 'w1', claimMs: 10_000, limit: 5 })).toEqual([]);
      const [again] = await store.outbox.claimDue({ now: later(5000), owner: 'w1', claimMs: 10_000, limit: 5 });
      expect(again).toMatchObject({ id: 'retry', attempts: 2 });
    });

    it('lets exactly one of two connections claim each message', async () => {
      for (let i = 0; i < 20; i++) await store.outbox.enqueue(message({ id: `m${i}`, nextAttemptAt: later(i) }));
      const second = await opened.openSecond();
      try {
        const [a, b] = await Promise.all([
          store.outbox.claimDue({ now: later(100), owner: 'a', claimMs: 10_000, limit: 15 }),
          second.outbox.claimDue({ now: later(100), owner: 'b', claimMs: 10_000, limit: 15 }),
        ]);
        const ids = [...a, ...b].map((m) => m.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      } finally {
        await second.close();
      }
    });

    it('lists newest first, by status and audience, with paging', async () => {
      await store.outbox.enqueue(message({ id: 'a', createdAt: later(1), audience: 'user:bob' }));
      await store.outbox.enqueue(message({ id: 'b', createdAt: later(2), status: 'not_sent' }));
      await store.outbox.enqueue(message({ id: 'c', createdAt: later(3) }));
      await store.outbox.enqueue(message({ id: 'd', createdAt: later(3) }));
      expect((await store.outbox.list({})).map((m) => m.id)).toEqual(['d', 'c', 'b', 'a']);
      expect((await store.outbox.list({ statuses: ['not_sent'] })).map((m) => m.id)).toEqual(['b']);
      expect((await store.outbox.list({ statuses: [] })).map((m) => m.id)).toEqual([]);
      expect((await store.outbox.list({ audience: 'user:bob' })).map((m) => m.id)).toEqual(['a']);
      expect((await store.outbox.list({ limit: 2, offset: 1 })).map((m) => m.id)).toEqual(['c', 'b']);
    });
  });
}
