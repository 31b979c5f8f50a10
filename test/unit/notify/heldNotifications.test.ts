import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import type { Notification } from '../../../src/domain/notifications/catalogue.js';
import { startNotificationSystem, type NotificationSystem } from '../../../src/notify/notificationSystem.js';
import { ApprovalLinks } from '../../../src/services/links/approvalLinks.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { FaultInjectingStore } from '../../support/faultInjectingStore.js';
import { serviceHarness } from '../../support/serviceHarness.js';

let sqlite: SqliteStore;
let store: FaultInjectingStore;
let system: NotificationSystem;

beforeEach(async () => {
  sqlite = SqliteStore.open(':memory:');
  store = new FaultInjectingStore(sqlite);
  const { deps } = await serviceHarness(store);
  // No Slack: messages stay in the outbox, which is what is looked at here. The retry timer
  // is far off so the test offers held notifications to the store itself.
  system = startNotificationSystem({
    deps,
    approvalLinks: new ApprovalLinks(Buffer.alloc(32, 1), 'https://cg.example'),
    publicUrl: 'https://cg.example',
    logger: createLogger('silent'),
    heldRetryMs: 3600_000,
  });
});
afterEach(async () => {
  store.down = false;
  await system.stop();
  await sqlite.close();
});

function alert(n: number): Notification {
  return { type: 'audit.trail', audience: [{ role: 'audit' }, { user: 'bob' }], data: { actor: 'alice', details: { eventType: 'UPDATE', class: 'RULE', object: `rule-${n}` } }, dedupeKey: `held-${n}` };
}

describe('notifications raised while the store is unreachable', () => {
  it('are held in order and stored once each when it answers again', async () => {
    await system.notifier.notify(alert(1));
    store.down = true;
    for (const n of [2, 3, 4]) await system.notifier.notify(alert(n));
    expect(system.notifier.heldCount).toBe(3);
    await system.notifier.flushHeld();
    expect(system.notifier.heldCount).toBe(3);

    store.down = false;
    // Raised after the return but before the flush: still goes behind the held ones.
    await system.notifier.notify(alert(5));
    await system.notifier.flushHeld();
    expect(system.notifier.heldCount).toBe(0);
    await system.notifier.notify(alert(3));

    const stored = (await sqlite.outbox.list({})).reverse();
    expect(stored.map((m) => `${m.payload.details && (m.payload.details as { object: string }).object} ${m.audience}`)).toEqual(
      [1, 2, 3, 4, 5].flatMap((n) => [`rule-${n} role:audit`, `rule-${n} user:bob`]),
    );
  });

  it('keep the audiences a notification had left when the store went away mid-way', async () => {
    let calls = 0;
    const enqueue = sqlite.outbox.enqueue.bind(sqlite.outbox);
    // The first audience is stored, then the store goes down.
    sqlite.outbox.enqueue = async (message) => {
      const stored = await enqueue(message);
      if (++calls === 1) store.down = true;
      return stored;
    };
    await system.notifier.notify(alert(1));
    expect(system.notifier.heldCount).toBe(1);
    store.down = false;
    await system.notifier.flushHeld();
    expect((await sqlite.outbox.list({})).map((m) => m.audience).sort()).toEqual(['role:audit', 'user:bob']);
  });
});
