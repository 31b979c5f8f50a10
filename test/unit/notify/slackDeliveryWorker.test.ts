import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { startNotificationSystem, type NotificationSystem } from '../../../src/notify/notificationSystem.js';
import type { SlackPoster } from '../../../src/notify/slackPoster.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { ApprovalLinks } from '../../../src/services/links/approvalLinks.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0 } from '../../support/factories.js';
import { serviceHarness } from '../../support/serviceHarness.js';

/** A poster that keeps what it was asked to send, and can run something while a post is in flight. */
class RecordingPoster implements SlackPoster {
  readonly posts: { channel: string; text: string; threadTs?: string | undefined }[] = [];
  readonly updates: { channel: string; ts: string; text: string; blocks: readonly Record<string, unknown>[] }[] = [];
  duringPost: (() => Promise<void>) | undefined;

  async postMessage(message: { channel: string; text: string; threadTs?: string | undefined }) {
    const during = this.duringPost;
    this.duringPost = undefined;
    await during?.();
    this.posts.push({ channel: message.channel, text: message.text, threadTs: message.threadTs });
    return { channel: message.channel.replace(/^U/, 'D'), ts: `1.${this.posts.length}` };
  }

  async updateMessage(message: { channel: string; ts: string; text: string; blocks: readonly Record<string, unknown>[] }) {
    this.updates.push(message);
  }
}

let store: SqliteStore;
let deps: ServiceDeps;
let poster: RecordingPoster;
let system: NotificationSystem;

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps } = await serviceHarness(store));
  poster = new RecordingPoster();
  system = startNotificationSystem({
    deps,
    approvalLinks: new ApprovalLinks(Buffer.alloc(32, 1), 'https://cg.example'),
    publicUrl: 'https://cg.example',
    logger: createLogger('silent'),
    slack: { botToken: 'xoxb-unit', apiUrl: undefined },
    poster,
  });
  // Driven by hand below: the worker's own timer must not race the test.
  await system.worker?.stop();
});
afterEach(async () => {
  await system.stop();
  await store.close();
});

const input = {
  code: 'CHG-7',
  title: 'Reload',
  group: 'web-ops',
  devices: ['web01'],
  script: 'systemctl reload nginx',
  windowStart: new Date(T0.getTime() + HOUR),
  windowEnd: new Date(T0.getTime() + 2 * HOUR),
};

describe('the delivery worker', () => {
  it('refreshes a card whose change moved on while the card was being posted', async () => {
    await registerChange(deps, input, { userId: 'alice', terminal: 'test' });
    // bob approves while the first card (alice's copy) is on its way: no copy is recorded yet,
    // so the approval's routing finds nothing to edit.
    poster.duringPost = async () => {
      await approveChange(deps, 'CHG-7', { userId: 'bob', terminal: 'test' });
    };
    while ((await system.worker!.deliverDue()) > 0) {
      /* deliver everything queued, including what delivering queues */
    }
    const copies = await store.slackMessages.listByChange('CHG-7');
    // The requester and the two approvers (the test policy names no channel).
    expect(copies).toHaveLength(3);
    // Every copy shows the approval: those posted after it by rendering, the one posted
    // during it by an update queued when the worker saw the change had moved.
    const first = copies[0]!;
    const refreshed = poster.updates.filter((u) => u.ts === first.ts);
    expect(refreshed.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(refreshed.at(-1)?.blocks)).toContain('approved by');
    expect(poster.posts.filter((p) => !p.threadTs && p.text.startsWith('Change request CHG-7')).map((p) => p.text)).toEqual([
      'Change request CHG-7: Reload (pending approval)',
      'Change request CHG-7: Reload (approved)',
      'Change request CHG-7: Reload (approved)',
    ]);
  });

  it('leaves messages that are not due alone', async () => {
    await system.notifier.notify({ type: 'audit.trail', audience: [{ role: 'audit' }], data: { actor: 'alice', details: { eventType: 'UPDATE', class: 'RULE', object: 'x' } } });
    const [message] = await store.outbox.list({});
    expect(message).toMatchObject({ status: 'not_sent', lastError: 'the policy names no audit channel' });
    expect(await system.worker!.deliverDue()).toBe(0);
    expect(poster.posts).toEqual([]);
  });
});
