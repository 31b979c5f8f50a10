import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { T0 } from '../support/factories.js';
import type { OpenedStore } from './storeContract.js';
import { openForEachTest } from './openForEachTest.js';

/** Posted Slack copies of change requests, on every store. */
export function defineSlackMessageContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`slack message contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    openForEachTest(open, (o) => {
      opened = o;
      store = opened.store;
    });

    it('records each copy once and lists a change’s copies in posting order', async () => {
      const dm = { changeCode: 'CHG-1', channel: 'D01BOB', ts: '100.2', audience: 'user:bob', postedAt: new Date(T0.getTime() + 2000) };
      const channel = { changeCode: 'CHG-1', channel: 'C01WEBOPS', ts: '100.1', audience: 'channel:C01WEBOPS', postedAt: new Date(T0.getTime() + 1000) };
      await store.slackMessages.record(dm);
      await store.slackMessages.record(channel);
      await store.slackMessages.record({ ...dm, changeCode: 'CHG-9' });
      await store.slackMessages.record({ changeCode: 'CHG-2', channel: 'D01BOB', ts: '100.3', audience: 'user:bob', postedAt: T0 });
      expect(await store.slackMessages.listByChange('CHG-1')).toEqual([channel, dm]);
      expect(await store.slackMessages.listByChange('CHG-404')).toEqual([]);
    });
  });
}
