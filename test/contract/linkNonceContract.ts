import { describe, expect, it } from 'vitest';
import type { UsedLinkNonce } from '../../src/store/linkNonceRepository.js';
import type { Store } from '../../src/store/store.js';
import { HOUR, T0 } from '../support/factories.js';
import type { OpenedStore } from './storeContract.js';
import { openForEachTest } from './openForEachTest.js';

function used(nonce: string, overrides: Partial<UsedLinkNonce> = {}): UsedLinkNonce {
  return { nonce, code: 'CHG-1', approver: 'bob', usedAt: T0, expiresAt: new Date(T0.getTime() + 24 * HOUR), ...overrides };
}

/** Single-use approval links: every store must let exactly one claim of a nonce through. */
export function defineLinkNonceContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`link nonce contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    openForEachTest(open, (o) => {
      opened = o;
      store = opened.store;
    });

    it('claims a nonce once', async () => {
      expect(await store.linkNonces.isUsed('n1')).toBe(false);
      expect(await store.linkNonces.claim(used('n1'))).toBe(true);
      expect(await store.linkNonces.claim(used('n1', { approver: 'carol' }))).toBe(false);
      expect(await store.linkNonces.isUsed('n1')).toBe(true);
      expect(await store.linkNonces.claim(used('n2'))).toBe(true);
    });

    it('lets exactly one of many racing claims win, across connections', async () => {
      const second = await opened.openSecond();
      try {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? second : store).linkNonces.claim(used('race'))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      } finally {
        await second.close();
      }
    });

    it('forgets only the nonces of links that expired', async () => {
      await store.linkNonces.claim(used('old', { expiresAt: new Date(T0.getTime() - HOUR) }));
      await store.linkNonces.claim(used('fresh', { expiresAt: new Date(T0.getTime() + HOUR) }));
      expect(await store.linkNonces.purgeExpired(T0)).toBe(1);
      expect(await store.linkNonces.isUsed('old')).toBe(false);
      expect(await store.linkNonces.isUsed('fresh')).toBe(true);
    });

    it('refuses a nonce that is not a string instead of reading it as a query', async () => {
      const smuggled = { $ne: null } as unknown as string;
      await store.linkNonces.claim(used('n1'));
      await expect(store.linkNonces.isUsed(smuggled)).rejects.toThrow();
    });
  });
}
