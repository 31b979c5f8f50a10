import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { Notification } from '../../src/domain/notifications/catalogue.js';
import { startNotificationSystem, type NotificationSystem } from '../../src/notify/notificationSystem.js';
import type { SlackDeliveryWorker } from '../../src/notify/slackDeliveryWorker.js';
import { registerChange } from '../../src/services/changes/registerChange.js';
import { approveChange } from '../../src/services/changes/reviewChange.js';
import { ApprovalLinks } from '../../src/services/links/approvalLinks.js';
import { createServiceDeps, type ServiceDeps } from '../../src/services/serviceDeps.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { FakeSlackApi } from '../support/fakeSlackApi.js';
import { sharedParser } from '../support/sharedParser.js';
import { slackTestPolicy } from '../support/slackHarness.js';
import { TestClock } from '../support/testClock.js';

/**
 * Slack's Web API fails for twenty (simulated) minutes: HTTP 500s, then 429s with
 * Retry-After, then nothing listening at all. The outbox worker runs on a test clock, each
 * step driven by hand, so minutes of backoff pass in milliseconds; the HTTP calls are real
 * (a local fake of the Web API on 127.0.0.1).
 */

const MINUTE = 60_000;
const STEP_MS = 5000;

let fake: FakeSlackApi;
let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;
let system: NotificationSystem;
let worker: SlackDeliveryWorker;

beforeAll(async () => {
  fake = await FakeSlackApi.start();
  store = SqliteStore.open(':memory:');
  const policy = slackTestPolicy();
  await store.policy.apply({
    replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules },
    channels: policy.channels,
    settings: policy.settings,
  });
  clock = new TestClock(new Date());
  deps = createServiceDeps({ store, clock: clock.now, parser: await sharedParser(), policyMaxAgeMs: 0 });
  system = startNotificationSystem({
    deps,
    approvalLinks: new ApprovalLinks(Buffer.alloc(32, 7), 'https://changeguard.example'),
    publicUrl: 'https://changeguard.example',
    logger: createLogger('silent'),
    slack: { botToken: 'xoxb-test-token', apiUrl: fake.apiUrl },
  });
  worker = system.worker!;
  // Driven by hand on the test clock below, not by its own timers.
  await worker.stop();
});

afterAll(async () => {
  await system?.stop();
  await store?.close();
  await fake?.close();
});

/** Moves the clock in steps, letting the worker deliver what is due at each. */
async function run(forMs: number): Promise<void> {
  for (let elapsed = 0; elapsed < forMs; elapsed += STEP_MS) {
    clock.advance(STEP_MS);
    while ((await worker.deliverDue()) >= 20) {
      /* a full batch: take the next one at the same moment */
    }
  }
}

let alerts = 0;
async function raiseAlerts(): Promise<void> {
  for (const role of ['security', 'audit', 'security'] as const) {
    const n = ++alerts;
    const notification: Notification =
      role === 'security'
        ? { type: 'session.high_risk', audience: [{ role }], data: { session: { id: `s-${n}`, user: 'alice', device: `web${n}`, clientAddress: '10.0.0.9' }, reason: `alert ${n}` }, dedupeKey: `alert-${n}` }
        : { type: 'audit.trail', audience: [{ role }], data: { actor: 'alice', details: { eventType: 'UPDATE', class: 'RULE', object: `rule-${n}` } }, dedupeKey: `alert-${n}` };
    await system.notifier.notify(notification);
    clock.advance(1000);
  }
}

describe('when the Slack API fails for minutes', () => {
  it('loses nothing and delivers every message once after it recovers', async () => {
    await raiseAlerts();
    fake.failEverything({ status: 500 });
    await run(2 * MINUTE);
    // A change filed and approved while Slack is down: its cards must not go out stale.
    const now = clock.now().getTime();
    const change = await registerChange(
      deps,
      { title: 'Filed during the outage', group: 'web-ops', devices: ['web01'], script: 'uptime', windowStart: new Date(now + 3600_000), windowEnd: new Date(now + 7200_000) },
      { userId: 'alice', terminal: 'test' },
    );
    await raiseAlerts();
    await run(3 * MINUTE);

    fake.failEverything({ status: 429, retryAfter: 60 });
    await approveChange(deps, change.code, { userId: 'bob', terminal: 'test' });
    await raiseAlerts();
    await run(5 * MINUTE);

    await fake.refuseConnections();
    await raiseAlerts();
    await run(10 * MINUTE);

    const duringOutage = await store.outbox.list({});
    expect(duringOutage.filter((m) => m.status === 'delivered')).toEqual([]);
    expect(duringOutage.filter((m) => m.status === 'failed')).toEqual([]);
    expect(fake.calls.filter((c) => c.status === 200)).toEqual([]);

    fake.failEverything(undefined);
    await fake.acceptConnections();
    const recoveredAt = clock.now().getTime();
    for (let waited = 0; (await store.outbox.list({ statuses: ['pending', 'sending'] })).length > 0; waited += MINUTE) {
      if (waited > 60 * MINUTE) throw new Error('the outbox did not drain within an hour after Slack came back');
      await run(MINUTE);
    }
    const drainedAfterMs = clock.now().getTime() - recoveredAt;

    const messages = await store.outbox.list({});
    expect(messages.map((m) => m.status)).toEqual(messages.map(() => 'delivered'));
    expect(messages.every((m) => m.attempts > 1)).toBe(true);

    // Each message reached Slack exactly once: one accepted call per outbox message.
    const accepted = fake.calls.filter((c) => c.status === 200 && c.method.startsWith('chat.'));
    const posts = messages.filter((m) => m.placement.kind === 'post');
    expect(accepted.filter((c) => c.method === 'chat.postMessage')).toHaveLength(posts.length);
    expect(accepted.filter((c) => c.method === 'chat.update')).toHaveLength(messages.length - posts.length);
    const alertTexts = accepted.map((c) => String(c.args.text)).filter((text) => /on web\d+$|RULE rule-\d+ /.test(text));
    expect(alertTexts).toHaveLength(alerts);
    expect(new Set(alertTexts).size).toBe(alerts);

    // The change's cards (requester, both approvers, the group's channel), filed and approved
    // while Slack was down, went out once each as the change stands now, not as it was filed.
    const cards = accepted.filter((c) => c.method === 'chat.postMessage' && String(c.args.text).startsWith(`Change request ${change.code}:`));
    expect(cards.map((c) => String(c.args.channel)).sort()).toEqual(['C01WEBOPS', 'U01ALICE', 'U01BOB', 'U01CAROL']);
    expect(cards.map((c) => String(c.args.text))).toEqual(cards.map(() => `Change request ${change.code}: Filed during the outage (approved)`));
    expect(accepted.filter((c) => String(c.args.text) === `${change.code} approved by Bob`).map((c) => c.args.channel)).toEqual(['U01ALICE']);

    // Every retry was on its own backoff, so the backlog drains as each comes due: within the
    // 15-minute backoff ceiling (plus its jitter) of Slack's return.
    expect(drainedAfterMs).toBeLessThanOrEqual(20 * MINUTE);
  });
});
