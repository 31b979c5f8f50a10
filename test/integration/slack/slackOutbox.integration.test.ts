import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../../src/domain/notifications/catalogue.js';
import type { OutboxMessage } from '../../../src/store/outboxRepository.js';
import { eventually } from '../../support/fakeSlackApi.js';
import { startSlackHarness, type SlackHarness } from '../../support/slackHarness.js';

let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness({ delivery: { backoffBaseMs: 100, backoffMaxMs: 400 } });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.fake.reset();
});

function alert(dedupeKey: string): Notification {
  return {
    type: 'session.high_risk',
    audience: [{ role: 'security' }],
    data: { session: { id: dedupeKey, user: 'alice', device: 'web01', clientAddress: '10.0.0.9' }, details: { reasons: ['3 commands refused'] } },
    dedupeKey,
  };
}

async function settled(dedupeKey: string): Promise<OutboxMessage> {
  return eventually(`the outbox message ${dedupeKey} settled`, async () => {
    const message = (await h.store.outbox.list({ audience: 'role:security' })).find((m) => m.dedupeKey === `${dedupeKey}|role:security`);
    return message && (message.status === 'delivered' || message.status === 'failed') ? message : null;
  });
}

describe('the outbox', () => {
  it('waits out a 429 for its Retry-After, then delivers', async () => {
    h.fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await h.notifications.notifier.notify(alert('rate-limited'));
    const message = await settled('rate-limited');
    expect(message).toMatchObject({ status: 'delivered', attempts: 2, delivered: { channel: 'C01SECURITY' } });
    expect(message.lastError).toBeUndefined();
    const [limited, accepted] = h.fake.calls.filter((c) => c.method === 'chat.postMessage');
    expect([limited?.status, accepted?.status]).toEqual([429, 200]);
    // Retry-After is a floor: the second attempt never came before it.
    expect(accepted!.at - limited!.at).toBeGreaterThanOrEqual(1000);
  });

  it('retries after a 500 with backoff, then delivers', async () => {
    h.fake.failNext('chat.postMessage', { status: 500 }, { status: 500 });
    await h.notifications.notifier.notify(alert('server-error'));
    const message = await settled('server-error');
    expect(message).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(h.fake.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.status)).toEqual([500, 500, 200]);
  });

  it('fails for good on an error no retry can fix, and keeps the message', async () => {
    h.fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    await h.notifications.notifier.notify(alert('no-channel'));
    const message = await settled('no-channel');
    expect(message).toMatchObject({ status: 'failed', attempts: 1, lastError: 'Slack refused it: channel_not_found' });
    expect(message.text).toBe('High-risk session: Alice on web01');
  });

  it('posts one message per notification and audience, however often it is raised', async () => {
    await Promise.all([h.notifications.notifier.notify(alert('twice')), h.notifications.notifier.notify(alert('twice'))]);
    await settled('twice');
    expect(h.fake.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('High-risk session'))).toHaveLength(1);
  });

  it('keeps a notification whose audience has no Slack destination, not sent, with the reason', async () => {
    await h.notifications.notifier.notify({ type: 'audit.trail', audience: [{ user: 'nobody' }], data: { actor: 'alice', details: { eventType: 'UPDATE', class: 'RULE', object: 'no-rm' } }, dedupeKey: 'orphan' });
    const [message] = await h.store.outbox.list({ audience: 'user:nobody' });
    expect(message).toMatchObject({ status: 'not_sent', lastError: 'no user nobody in the policy', attempts: 0 });
  });
});
