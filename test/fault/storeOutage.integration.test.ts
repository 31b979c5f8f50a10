import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startNotificationSystem, type NotificationSystem } from '../../src/notify/notificationSystem.js';
import { ApprovalLinks } from '../../src/services/links/approvalLinks.js';
import { FakeSlackApi } from '../support/fakeSlackApi.js';
import { FaultInjectingStore } from '../support/faultInjectingStore.js';
import { execThroughProxy, startProxyHarness, TestTerminal, type ProxyHarness } from '../support/proxyHarness.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The store becomes unreachable while a session is live, then comes back. How it is made
 * unreachable, and why that way, is in test/support/faultInjectingStore.ts. Commands typed in
 * live sessions during an outage are covered by test/integration/proxy/storeOutage
 * (blocked by default, PROXY_ON_STORE_OUTAGE=allow); this file covers new sessions, what
 * happens to notifications and session ends raised during the outage, and the return.
 */

const REFUSAL = 'changeguard: changeguard cannot reach its store: new sessions are refused until it is back';

let h: ProxyHarness | undefined;
let fake: FakeSlackApi | undefined;
let system: NotificationSystem | undefined;
afterEach(async () => {
  await system?.stop();
  await h?.stop();
  await fake?.close();
  h = system = fake = undefined;
});

describe('when the store is unreachable and comes back', () => {
  it('refuses new sessions with one line, holds the notifications raised meanwhile, and delivers them once it is back', async () => {
    const slack = await FakeSlackApi.start();
    fake = slack;
    let faulty: FaultInjectingStore | undefined;
    h = await startProxyHarness({
      channels: { security: 'C01SECURITY' },
      wrapStore: (store) => (faulty = new FaultInjectingStore(store)),
      notifierFor: (deps) => {
        system = startNotificationSystem({
          deps,
          approvalLinks: new ApprovalLinks(Buffer.alloc(32, 7), 'https://changeguard.example'),
          publicUrl: 'https://changeguard.example',
          logger: createLogger('silent'),
          slack: { botToken: 'xoxb-test-token', apiUrl: slack.apiUrl },
          delivery: { pollMs: 50, backoffBaseMs: 50, backoffMaxMs: 200 },
          heldRetryMs: 50,
        });
        return system.notifier;
      },
    });
    const harness = h;
    const store = faulty!;
    const outbox = async (dedupeKey: string) => (await harness.store.outbox.list({ audience: 'role:security' })).find((m) => m.dedupeKey === `${dedupeKey}|role:security`);

    const change = await harness.approvedChange();
    const term = await TestTerminal.open(harness.proxy.port, `alice+${change.code}+web01`, harness.aliceKey);
    await term.justify();
    const sessionId = /changeguard: session ([0-9a-f-]{36}) on/.exec(term.text())![1]!;
    term.type('true\r');
    await term.waitForPrompt(2);
    await waitFor('the session start delivered to Slack', async () => (await outbox(`session.started:${sessionId}`))?.status === 'delivered');

    store.down = true;

    // New sessions: refused, and told why in one line (exec on stderr, interactive on screen).
    const exec = await execThroughProxy(harness.proxy.port, `alice+${change.code}+web01`, harness.aliceKey, 'echo should-not-run');
    expect(exec).toEqual({ stdout: '', stderr: `${REFUSAL}\n`, code: 1 });
    const refused = await TestTerminal.open(harness.proxy.port, `alice+${change.code}+web01`, harness.aliceKey);
    await refused.waitForClose();
    expect(refused.text()).toBe(`${REFUSAL}\r\n`);

    // The live session ends during the outage (`exit` would be blocked like any command, so
    // the user disconnects): its end is raised now and held, not lost.
    term.close();
    await waitFor('the session end to be raised', () => harness.notifier.sent.some((n) => n.type === 'session.terminated' && n.data.session?.id === sessionId));
    await waitFor('the notification to be held', () => system!.notifier.heldCount > 0);
    expect(harness.proxy.liveSessionIds).toEqual([]);
    expect((await harness.store.sessions.findById(sessionId))?.state).toBe('active');
    expect(await outbox(`session.terminated:${sessionId}`)).toBeUndefined();
    expect(store.refused).toBeGreaterThan(0);

    const backAt = Date.now();
    store.down = false;

    // Back: the end is recorded with the time it happened, and the held notification delivered once.
    const ended = await waitFor('the session end to be recorded', async () => {
      const session = await harness.store.sessions.findById(sessionId);
      return session?.state === 'ended' ? session : undefined;
    });
    expect(ended.endReason).toBe('the user disconnected');
    expect(ended.endedAt!.getTime()).toBeLessThan(backAt);
    const delivered = await waitFor('the session end delivered to Slack', async () => {
      const message = await outbox(`session.terminated:${sessionId}`);
      return message?.status === 'delivered' ? message : undefined;
    });
    expect(delivered.payload).toMatchObject({ reason: 'the user disconnected', details: { state: 'ended' } });
    expect(system!.notifier.heldCount).toBe(0);
    const terminated = (await harness.store.outbox.list({})).filter((m) => m.type === 'session.terminated');
    expect(terminated).toHaveLength(1);
    const posts = slack.callsTo('chat.postMessage');
    expect(posts).toHaveLength((await harness.store.outbox.list({ statuses: ['delivered'] })).length);
    expect(posts.filter((c) => String(c.args.text).includes(delivered.text.slice(0, 30)))).toHaveLength(1);

    // And new sessions are admitted again.
    const again = await execThroughProxy(harness.proxy.port, `alice+${change.code}+web01`, harness.aliceKey, 'echo back-$((1+1))');
    expect(again).toEqual({ stdout: 'back-2\n', stderr: '', code: 0 });
    expect((await harness.deps.audit.verify()).ok).toBe(true);
  });
});
