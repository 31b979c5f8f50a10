import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../../src/store/outboxRepository.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';

/** The SIEM feed on SQLite: filled by triggers whatever writes, read through cursors with claims. */
let store: SqliteStore;
const t0 = new Date('2026-12-05T09:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

const audit = (details: string) => store.audit.append({ at: t0, status: 'S', eventType: 'TEST', class: 'SIEM', actor: 'test', details });
function alertRow(id: string, audience: string): OutboxMessage {
  return { id, type: 'session.account_locked', audience, placement: { kind: 'post' }, payload: { details: { user: 'alice' } }, text: 'alice locked', status: 'not_sent', attempts: 0, nextAttemptAt: t0, createdAt: t0, updatedAt: t0 };
}
const claim = (sink: string, owner: string, now = t0, limit = 100) => store.siemFeed.claim({ sink, owner, now, claimMs: 10_000, limit });

beforeEach(() => {
  store = SqliteStore.open(':memory:');
});
afterEach(async () => {
  await store.close();
});

describe('the SIEM feed', () => {
  it('holds nothing until a sink is registered, which starts at the end of the feed', async () => {
    await audit('before any sink');
    await store.siemFeed.register(['syslog'], t0);
    expect(await claim('syslog', 'p1')).toEqual([]);
    await audit('after');
    const items = await claim('syslog', 'p1');
    expect(items?.map((i) => (i.kind === 'audit' ? i.record.details : i.kind))).toEqual(['after']);
  });

  it('takes audit records from every path and the security channel\'s alerts, in the order written', async () => {
    await store.siemFeed.register(['syslog', 'webhook'], t0);
    await audit('one');
    await store.outbox.enqueue(alertRow('alert-1', 'role:security'));
    await store.outbox.enqueue(alertRow('dm-1', 'user:alice'));
    // A duplicate row (same dedupe key) is not stored, so it is no second alert.
    await store.outbox.enqueue({ ...alertRow('alert-2', 'role:security'), dedupeKey: 'k' });
    await store.outbox.enqueue({ ...alertRow('alert-3', 'role:security'), dedupeKey: 'k' });
    await audit('two');
    const items = (await claim('webhook', 'p1'))!;
    expect(items.map((i) => [i.pos, i.kind === 'audit' ? i.record.details : i.alertId])).toEqual([
      [1, 'one'],
      [2, 'alert-1'],
      [3, 'alert-2'],
      [4, 'two'],
    ]);
    expect(items[1]).toMatchObject({ kind: 'alert', type: 'session.account_locked', text: 'alice locked', data: { details: { user: 'alice' } }, at: t0 });
  });

  it('lets one owner at a time send to a sink, until its claim runs out', async () => {
    await store.siemFeed.register(['syslog'], t0);
    await audit('one');
    expect(await claim('syslog', 'p1')).toHaveLength(1);
    expect(await claim('syslog', 'p2', later(5000))).toBeNull();
    expect(await claim('syslog', 'p2', later(10_001))).toHaveLength(1);
    // p1 lost its claim: its delivery no longer moves the cursor.
    expect(await store.siemFeed.markDelivered('syslog', 'p1', 1, later(10_002))).toBe(false);
    expect(await store.siemFeed.markDelivered('syslog', 'p2', 1, later(10_002))).toBe(true);
    expect(await claim('syslog', 'p1', later(10_003))).toEqual([]);
  });

  it('keeps the cursor on a failure and waits until the retry time, per sink', async () => {
    await store.siemFeed.register(['syslog', 'webhook'], t0);
    await audit('one');
    await claim('syslog', 'p1');
    expect(await store.siemFeed.markFailed('syslog', 'p1', { at: t0, error: 'connection refused', retryAt: later(2000) })).toBe(true);
    expect(await claim('syslog', 'p1', later(1999))).toBeNull();
    expect(await claim('webhook', 'p1', later(1))).toHaveLength(1);
    const [syslog] = await store.siemFeed.status();
    expect(syslog).toMatchObject({ sink: 'syslog', deliveredPos: 0, backlog: 1, failures: 1, lastError: 'connection refused', nextAttemptAt: later(2000) });
    expect(await claim('syslog', 'p1', later(2000))).toHaveLength(1);
    await store.siemFeed.markDelivered('syslog', 'p1', 1, later(2001));
    expect((await store.siemFeed.status())[0]).toMatchObject({ deliveredPos: 1, backlog: 0, failures: 0, lastError: undefined });
  });

  it('prunes what every sink has, and drops the cursors of sinks no longer configured', async () => {
    await store.siemFeed.register(['syslog', 'webhook'], t0);
    for (const n of ['1', '2', '3']) await audit(n);
    await claim('syslog', 'p');
    await store.siemFeed.markDelivered('syslog', 'p', 3, t0);
    expect(await store.siemFeed.prune()).toBe(0);
    await claim('webhook', 'p');
    await store.siemFeed.markDelivered('webhook', 'p', 2, t0);
    expect(await store.siemFeed.prune()).toBe(2);
    await store.siemFeed.register(['syslog'], t0);
    expect((await store.siemFeed.status()).map((s) => s.sink)).toEqual(['syslog']);
    // Positions are never reused: a new sink starts after everything written so far.
    await store.siemFeed.register(['syslog', 'webhook'], t0);
    await audit('4');
    expect((await claim('webhook', 'p'))!.map((i) => i.pos)).toEqual([4]);
  });
});
