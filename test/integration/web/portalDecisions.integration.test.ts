import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebClient } from '../../support/webClient.js';
import { startPortal, type PortalHarness } from '../../support/webHarness.js';

let h: PortalHarness;
beforeEach(async () => {
  h = await startPortal();
});
afterEach(async () => h.close());

async function signedIn(user: string): Promise<WebClient> {
  const client = new WebClient(h.baseUrl);
  await client.signInLocally(user);
  return client;
}

function mainOf(html: string): string {
  return html.slice(html.indexOf('<main'), html.indexOf('</main>'));
}

describe('deciding on a change from its page', () => {
  it('lets a group approver approve, with the decision on the shared store and in the trail', async () => {
    const change = await h.fileChange();
    const bob = await signedIn('bob');
    const inbox = await bob.page('/approvals');
    expect(inbox.html).toContain(`/changes/${change.code}`);
    const page = await bob.page(`/changes/${change.code}`);
    expect(page.html).toContain('id="approve"');
    const response = await bob.post(`/changes/${change.code}/approve`, { seenScriptHash: change.scriptHash });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/changes/${change.code}?done=approved`);
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('approved');
    const approval = (await h.store.audit.list({ change: change.code, eventType: 'APPROVE' })).records[0];
    expect(approval).toMatchObject({ status: 'S', actor: 'bob', terminal: 'web 127.0.0.1' });
    expect((await bob.page(`/changes/${change.code}?done=approved`)).html).toContain('Your approval is recorded.');
  });

  it('refuses an approver who filed the change (four eyes) with a 403 page', async () => {
    const change = await h.fileChange({}, { userId: 'bob', terminal: 'slack' });
    const bob = await signedIn('bob');
    const page = await bob.page(`/changes/${change.code}`);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('id="approve"');
    const response = await bob.post(`/changes/${change.code}/approve`, { seenScriptHash: change.scriptHash });
    expect(response.status).toBe(403);
    const html = await response.text();
    expect(mainOf(html)).toContain(`bob filed ${change.code} and cannot review it (four-eyes rule)`);
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('pending_approval');
    expect((await h.store.audit.list({ change: change.code, eventType: 'APPROVE' })).records.map((r) => r.status)).toEqual(['D']);
  });

  it('lets an auditor read every change but decide nothing', async () => {
    const change = await h.fileChange();
    const erin = await signedIn('erin');
    const page = await erin.page(`/changes/${change.code}`);
    expect(page.status).toBe(200);
    expect(page.html).not.toMatch(/action="\/changes\/[^"]+\/(approve|reject|revoke|cancel)"/);
    for (const [action, form] of [
      ['approve', { seenScriptHash: change.scriptHash }],
      ['reject', { reason: 'no' }],
      ['cancel', {}],
    ] as const) {
      const response = await erin.post(`/changes/${change.code}/${action}`, form);
      expect(response.status, action).toBe(403);
      expect(await response.text()).not.toMatch(/at .+\.(ts|js):\d+/);
    }
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('pending_approval');
  });

  it('keeps users outside the group out of its changes', async () => {
    const change = await h.fileChange();
    const dave = await signedIn('dave');
    const page = await dave.page(`/changes/${change.code}`);
    expect(page.status).toBe(403);
    expect(page.html).toContain(`${change.code} belongs to group web-ops, which you are not part of`);
    expect(page.html).not.toContain('Pick up the new certificate');
    expect((await dave.page('/changes')).html).not.toContain(`/changes/${change.code}`);
    expect((await dave.get(`/changes/${change.code}/evidence.json`)).status).toBe(403);
  });

  it('refuses a rejection without a reason on the page, keeping the change pending', async () => {
    const change = await h.fileChange();
    const carol = await signedIn('carol');
    await carol.page(`/changes/${change.code}`);
    const response = await carol.post(`/changes/${change.code}/reject`, { reason: '   ' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('a rejection needs a reason');
    await carol.page(`/changes/${change.code}`);
    expect((await carol.post(`/changes/${change.code}/reject`, { reason: 'window clashes with the sale' })).status).toBe(303);
    expect(await h.store.changes.findByCode(change.code)).toMatchObject({ status: 'rejected', rejection: { by: 'carol', reason: 'window clashes with the sale' } });
  });

  it('lets the requester cancel and an approver revoke', async () => {
    const first = await h.fileChange();
    const alice = await signedIn('alice');
    await alice.page(`/changes/${first.code}`);
    expect((await alice.post(`/changes/${first.code}/cancel`, { reason: 'not needed' })).status).toBe(303);
    expect((await h.store.changes.findByCode(first.code))?.status).toBe('cancelled');

    const second = await h.fileChange();
    const bob = await signedIn('bob');
    await bob.page(`/changes/${second.code}`);
    expect((await bob.post(`/changes/${second.code}/approve`, { seenScriptHash: second.scriptHash })).status).toBe(303);
    await bob.page(`/changes/${second.code}`);
    expect((await bob.post(`/changes/${second.code}/revoke`, { reason: 'incident in progress' })).status).toBe(303);
    expect((await h.store.changes.findByCode(second.code))?.status).toBe('revoked');
  });
});

describe('form and query protections', () => {
  it('refuses a form without its CSRF token, or with one from another browser', async () => {
    const change = await h.fileChange();
    const bob = await signedIn('bob');
    await bob.page(`/changes/${change.code}`);
    const missing = await bob.post(`/changes/${change.code}/approve`, { seenScriptHash: change.scriptHash, _csrf: null });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('this form was not sent from a changeguard page');

    const mallory = await signedIn('carol');
    await mallory.page(`/changes/${change.code}`);
    const stolen = await bob.post(`/changes/${change.code}/approve`, { seenScriptHash: change.scriptHash, _csrf: mallory.csrfToken()! });
    expect(stolen.status).toBe(403);
    expect((await h.store.changes.findByCode(change.code))?.status).toBe('pending_approval');
  });

  it.each([
    ['/changes?status[$ne]=x', 'unknown query parameter "status[$ne]"'],
    ['/changes?status=approved&status=rejected', 'query parameter status'],
    ['/changes?status=nonsense', 'query parameter status'],
    ['/audit?actor[$gt]=', 'unknown query parameter "actor[$gt]"'],
    ['/audit?from=yesterday', 'query parameter from: expected a date as YYYY-MM-DD'],
    ['/changes?page=0', 'query parameter page'],
  ])('rejects %s with a 400 naming the parameter', async (path, message) => {
    const erin = await signedIn('erin');
    const page = await erin.page(path);
    expect(page.status).toBe(400);
    expect(page.html).toContain(message.replace(/"/g, '&quot;'));
  });

  it('renders a title with <script> inert, everywhere it appears', async () => {
    const change = await h.fileChange({ title: 'Purge <script>alert("x")</script> cache', description: '<img src=x onerror=alert(1)>' });
    const erin = await signedIn('erin');
    for (const path of [`/changes/${change.code}`, '/changes', `/changes/${change.code}/audit`]) {
      const { html } = await erin.page(path);
      expect(html, path).toContain('Purge &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; cache');
      expect(html, path).not.toContain('<script>alert');
      expect(html, path).not.toContain('<img src=x');
    }
    const bob = await signedIn('bob');
    expect((await bob.page('/approvals')).html).not.toContain('<script>alert');
  });

  it('sends strict security headers and cookie flags', async () => {
    const client = new WebClient(h.baseUrl);
    const response = await client.get('/signin');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const cookies = response.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/^__Host-.*; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
  });

  it('limits decisions per client address', async () => {
    await h.close();
    h = await startPortal({ web: { rateLimits: { decisions: { limit: 2, windowMs: 60_000 } } } });
    const change = await h.fileChange();
    const erin = await signedIn('erin');
    await erin.page(`/changes/${change.code}`);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await erin.post(`/changes/${change.code}/reject`, { reason: 'x' })).status);
    expect(statuses).toEqual([403, 403, 429]);
  });
});
