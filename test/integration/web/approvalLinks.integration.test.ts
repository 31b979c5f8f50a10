import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../src/domain/policy/policy.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import { WebClient } from '../../support/webClient.js';
import { portalPolicy, startPortal, type PortalHarness } from '../../support/webHarness.js';

let h: PortalHarness;
beforeEach(async () => {
  h = await startPortal({ policy: portalPolicy({ settings: { ...DEFAULT_SETTINGS, requireWebApproval: 'high' } }) });
});
afterEach(async () => h.close());

const pathOf = (url: string) => new URL(url).pathname;

async function signedIn(user: string): Promise<WebClient> {
  const client = new WebClient(h.baseUrl);
  await client.signInLocally(user);
  return client;
}

describe('approval links', () => {
  it('show only the code to a visitor who is not signed in, and decide nothing on GET', async () => {
    const change = await h.fileChange({ description: 'secret plan details' });
    const link = pathOf(h.links.create(change.code, 'bob', h.clock.now()));
    const unfurler = new WebClient(h.baseUrl);
    for (let i = 0; i < 3; i++) {
      const page = await unfurler.page(link);
      expect(page.status).toBe(200);
      expect(page.html).toContain(`Approval request ${change.code}`);
      expect(page.html).not.toContain('secret plan details');
      expect(page.html.replace(/&#x3D;/g, '=')).toContain(`/signin?next=${encodeURIComponent(link)}`);
    }
    const bob = await signedIn('bob');
    const page = await bob.page(link);
    expect(page.html).toContain('secret plan details');
    expect(page.html).toContain(`action="${link}"`);
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('pending_approval');
    const check = h.links.verify(link.slice('/approve/'.length), h.clock.now());
    expect(check.ok && (await h.store.linkNonces.isUsed(check.claims.nonce))).toBe(false);
  });

  it('approve once when the signed-in user is the approver it was made for, then refuse reuse', async () => {
    const change = await h.fileChange();
    const link = pathOf(h.links.create(change.code, 'bob', h.clock.now()));
    const bob = await signedIn('bob');
    await bob.page(link);
    const first = await bob.post(link, { decision: 'approve', seenScriptHash: change.scriptHash });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe(`/changes/${change.code}?done=approved`);
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('approved');

    const reused = await bob.post(link, { decision: 'reject', reason: 'changed my mind' });
    expect(reused.status).toBe(409);
    expect(await reused.text()).toContain('this approval link was already used');
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('approved');
    expect((await bob.page(link)).html).toContain('This link was already used.');
  });

  it('refuse another signed-in user, without spending the link', async () => {
    const change = await h.fileChange();
    const link = pathOf(h.links.create(change.code, 'bob', h.clock.now()));
    const carol = await signedIn('carol');
    const page = await carol.page(link);
    expect(page.status).toBe(403);
    expect(page.html).toContain('This link was made for bob; you are signed in as carol.');
    const response = await carol.post(link, { decision: 'approve', seenScriptHash: change.scriptHash });
    expect(response.status).toBe(403);
    const bob = await signedIn('bob');
    await bob.page(link);
    expect((await bob.post(link, { decision: 'approve', seenScriptHash: change.scriptHash })).status).toBe(303);
  });

  it('refuse forged and expired links, and record the refusals', async () => {
    const change = await h.fileChange();
    const token = h.links.create(change.code, 'bob', h.clock.now()).split('/approve/')[1]!;
    const [body] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const forgedBody = Buffer.from(JSON.stringify({ ...claims, a: 'carol' })).toString('base64url');
    const forged = `/approve/${forgedBody}.${createHmac('sha256', 'guessed key').update(forgedBody).digest('base64url')}`;
    const bob = await signedIn('bob');
    const forgedPage = await bob.page(forged);
    expect(forgedPage.status).toBe(403);
    expect(forgedPage.html).toContain('This approval link was not issued by changeguard.');
    await bob.page('/approvals');
    expect((await bob.post(forged, { decision: 'approve', seenScriptHash: change.scriptHash })).status).toBe(403);

    h.clock.advance(24 * 3600_000 + 1);
    // Past the web session's lifetime too: sign in again.
    await bob.signInLocally('bob');
    const expired = await bob.page(`/approve/${token}`);
    expect(expired.status).toBe(403);
    expect(expired.html).toContain('This approval link has expired.');
    await bob.page('/approvals');
    const late = await bob.post(`/approve/${token}`, { decision: 'approve', seenScriptHash: change.scriptHash });
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('this approval link has expired');
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('pending_approval');
    const refusals = (await h.store.audit.list({ eventType: 'APPROVE', status: 'D' })).records.map((r) => r.details);
    expect(refusals).toEqual(['approval link refused: this approval link was not issued by changeguard', 'approval link refused: this approval link has expired: open the change from the approvals page instead']);
  });

  it('keep the link when a rejection lacks its reason', async () => {
    const change = await h.fileChange();
    const link = pathOf(h.links.create(change.code, 'bob', h.clock.now()));
    const bob = await signedIn('bob');
    await bob.page(link);
    const response = await bob.post(link, { decision: 'reject', reason: '' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('a rejection needs a reason');
    await bob.page(link);
    expect((await bob.post(link, { decision: 'reject', reason: 'too risky this week' })).status).toBe(303);
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('rejected');
  });

  it('are the way to approve a high-risk change when the policy requires web approval', async () => {
    const change = await h.fileChange({ script: 'rm -rf /var/cache/nginx/*\nsystemctl reload nginx' });
    const fromSlack = await approveChange(h.deps, change.code, { userId: 'bob', terminal: 'slack' }).catch((e: unknown) => e);
    expect(fromSlack).toBeInstanceOf(ServiceError);
    const bob = await signedIn('bob');
    const page = await bob.page(`/changes/${change.code}`);
    expect(page.html).toContain('approval only on this web page');
    const link = pathOf(h.links.create(change.code, 'bob', h.clock.now()));
    await bob.page(link);
    expect((await bob.post(link, { decision: 'approve', seenScriptHash: change.scriptHash })).status).toBe(303);
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('approved');
  });
});
