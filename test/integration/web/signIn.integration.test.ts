import express from 'express';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebClient } from '../../support/webClient.js';
import { startFakeSlackOpenId, type FakeSlackOpenId } from '../../support/fakeSlackOpenId.js';
import { startPortal, type PortalHarness } from '../../support/webHarness.js';

/** fetch() will not send another Host header; node:http will. */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let h: PortalHarness | undefined;
let slack: FakeSlackOpenId | undefined;
afterEach(async () => {
  await h?.close();
  await slack?.close();
  h = undefined;
  slack = undefined;
});

async function slackModePortal() {
  slack = await startFakeSlackOpenId();
  h = await startPortal({
    web: {
      slackConfigured: true,
      slackSignIn: { clientId: slack.clientId, clientSecret: slack.clientSecret, apiUrl: slack.apiUrl, authorizeUrl: slack.authorizeUrl },
    },
  });
  return { h, slack };
}

/** Goes through Sign in with Slack as a browser would; returns the final redirect. */
async function signInWithSlack(client: WebClient, next = '/approvals'): Promise<Response> {
  const start = await client.get(`/auth/slack?next=${encodeURIComponent(next)}`);
  expect(start.status).toBe(303);
  const atSlack = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  expect(atSlack.status).toBe(302);
  const callback = new URL(atSlack.headers.get('location')!);
  return client.get(`${callback.pathname}${callback.search}`);
}

describe('Sign in with Slack', () => {
  it('maps the Slack user to the policy user and audits the sign-in', async () => {
    const { h } = await slackModePortal();
    const client = new WebClient(h.baseUrl);
    const signin = await client.page('/signin');
    expect(signin.html).toContain('Sign in with Slack');
    expect(signin.html).not.toContain('Local sign-in');
    expect(signin.html).not.toContain('/signin/local');
    const done = await signInWithSlack(client, '/changes');
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/changes');
    const page = await client.page('/changes');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Bob <span class="muted">(bob)</span>');
    expect((await h.store.audit.list({ eventType: 'SIGNIN' })).records).toMatchObject([
      { status: 'S', actor: 'bob', details: 'Sign in with Slack as U01BOB', terminal: 'web 127.0.0.1' },
    ]);
  });

  it('refuses a Slack user who is not in the policy', async () => {
    const { h, slack } = await slackModePortal();
    slack.signInAs = 'U09STRANGER';
    const client = new WebClient(h.baseUrl);
    const done = await signInWithSlack(client);
    expect(done.status).toBe(403);
    expect(await done.text()).toContain('Slack user U09STRANGER is not a changeguard user');
    expect((await client.get('/approvals')).status).toBe(303);
    expect((await h.store.audit.list({ eventType: 'SIGNIN' })).records.map((r) => r.status)).toEqual(['D']);
  });

  it.each([
    ['a nonce from another sign-in', { nonce: 'other' }, 'nonce mismatch'],
    ['an ID token for another app', { audience: '999.999' }, 'issued to another app'],
    ['userInfo naming someone else', { userInfoUser: 'U01ERIN' }, 'different users'],
  ])('refuses %s', async (_what, tamper, message) => {
    const { h, slack } = await slackModePortal();
    slack.tamper = tamper;
    const client = new WebClient(h.baseUrl);
    const done = await signInWithSlack(client);
    expect(done.status).toBe(403);
    expect(await done.text()).toContain(message);
    expect(client.cookie('__Host-changeguard.session')).toBeUndefined();
  });

  it('refuses a callback this browser did not start (state mismatch, login CSRF)', async () => {
    const { h } = await slackModePortal();
    const victim = new WebClient(h.baseUrl);
    const attacker = new WebClient(h.baseUrl);
    const start = await attacker.get('/auth/slack');
    const atSlack = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const callback = new URL(atSlack.headers.get('location')!);
    const response = await victim.get(`${callback.pathname}${callback.search}`);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('started in another browser');
  });

  it('offers no local sign-in when Slack is configured', async () => {
    const { h } = await slackModePortal();
    const client = new WebClient(h.baseUrl);
    await client.page('/signin');
    // A valid token (the double-submit cookie), so the refusal is the sign-in's own.
    const response = await client.post('/signin/local', { user: 'bob', _csrf: client.cookie('__Host-changeguard.csrf')! });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('local sign-in is off');
  });
});

describe('local sign-in', () => {
  it('is offered on loopback without Slack, says so on every page, and lasts until sign-out', async () => {
    h = await startPortal();
    const client = new WebClient(h.baseUrl);
    await client.signInLocally('erin');
    for (const path of ['/approvals', '/changes', '/audit', '/policy']) {
      const page = await client.page(path);
      expect(page.status, path).toBe(200);
      expect(page.html, path).toContain('class="local-banner"');
    }
    expect((await h.store.audit.list({ eventType: 'SIGNIN' })).records[0]).toMatchObject({ actor: 'erin', details: 'local sign-in (loopback only)' });
    await client.page('/approvals');
    expect((await client.post('/signout')).status).toBe(303);
    expect((await client.get('/approvals')).headers.get('location')).toBe('/signin?next=%2Fapprovals');
  });

  it('signing out ends the session everywhere: a copied cookie stops working, and it is audited', async () => {
    h = await startPortal();
    const client = new WebClient(h.baseUrl);
    await client.signInLocally('erin');
    const copied = client.cookie('__Host-changeguard.session')!;
    const baseUrl = h.baseUrl;
    const withCopied = () => fetch(`${baseUrl}/approvals`, { headers: { cookie: `__Host-changeguard.session=${copied}` }, redirect: 'manual' });
    expect((await withCopied()).status).toBe(200);
    h.clock.advance(1000);
    await client.page('/approvals');
    expect((await client.post('/signout')).status).toBe(303);
    expect((await withCopied()).headers.get('location')).toBe('/signin?next=%2Fapprovals');
    expect((await h.store.audit.list({ eventType: 'SIGNOUT' })).records).toMatchObject([{ status: 'S', actor: 'erin', object: 'erin' }]);
    // Signing in again afterwards works as before.
    h.clock.advance(1000);
    await client.signInLocally('erin');
    expect((await client.page('/approvals')).status).toBe(200);
  });

  it('refuses users who are not in the policy', async () => {
    h = await startPortal();
    const client = new WebClient(h.baseUrl);
    await client.page('/signin');
    const response = await client.post('/signin/local', { user: 'mallory' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('mallory is not a user of the policy');
  });

  it('is off when bound to a non-loopback address', async () => {
    h = await startPortal({ web: { bind: '0.0.0.0' } });
    const client = new WebClient(h.baseUrl);
    const page = await client.page('/signin');
    expect(page.html).toContain('No way to sign in is offered');
    expect(page.html).not.toContain('local-banner');
    expect((await client.post('/signin/local', { user: 'bob', _csrf: client.cookie('__Host-changeguard.csrf')! })).status).toBe(404);
  });

  it('answers only to loopback host names (DNS rebinding)', async () => {
    h = await startPortal();
    const port = Number(new URL(h.baseUrl).port);
    const rebound = await getWithHost(port, '/signin', 'attacker.example');
    expect(rebound.status).toBe(421);
    expect(rebound.body).toContain('this portal answers only on a loopback address');
    expect((await getWithHost(port, '/signin', `localhost:${port}`)).status).toBe(200);
    expect((await getWithHost(port, '/signin', `[::1]:${port}`)).status).toBe(200);
  });

  it('limits sign-in attempts per client address', async () => {
    h = await startPortal({ web: { rateLimits: { signIn: { limit: 3, windowMs: 60_000 } } } });
    const client = new WebClient(h.baseUrl);
    await client.page('/signin');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await client.post('/signin/local', { user: 'nobody' })).status);
    expect(statuses).toEqual([403, 403, 403, 429]);
  });

  it('behind a trusted load balancer (TRUST_PROXY) limits and audits the client address it forwards', async () => {
    h = await startPortal({ web: { trustProxy: ['loopback'], rateLimits: { signIn: { limit: 2, windowMs: 60_000 } } } });
    const first = new WebClient(h.baseUrl);
    first.extraHeaders = { 'x-forwarded-for': '203.0.113.7' };
    await first.page('/signin');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await first.post('/signin/local', { user: 'nobody' })).status);
    expect(statuses).toEqual([403, 403, 429]);
    // Another client behind the same balancer has its own allowance, and its address is audited.
    const second = new WebClient(h.baseUrl);
    second.extraHeaders = { 'x-forwarded-for': '198.51.100.4' };
    await second.signInLocally('erin');
    expect((await h.store.audit.list({ eventType: 'SIGNIN' })).records.find((r) => r.actor === 'erin')).toMatchObject({ terminal: 'web 198.51.100.4' });
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY names the proxy', async () => {
    h = await startPortal({ web: { rateLimits: { signIn: { limit: 2, windowMs: 60_000 } } } });
    const statuses: number[] = [];
    for (const address of ['203.0.113.7', '203.0.113.8', '203.0.113.9']) {
      const client = new WebClient(h.baseUrl);
      client.extraHeaders = { 'x-forwarded-for': address };
      await client.page('/signin');
      statuses.push((await client.post('/signin/local', { user: 'nobody' })).status);
    }
    expect(statuses).toEqual([403, 403, 429]);
  });

  it('sends pages to sign-in and back, never to another site', async () => {
    h = await startPortal();
    const client = new WebClient(h.baseUrl);
    expect((await client.get('/changes?status=approved')).headers.get('location')).toBe('/signin?next=%2Fchanges%3Fstatus%3Dapproved');
    await client.page('/signin?next=//evil.example/x');
    const response = await client.post('/signin/local', { user: 'bob', next: '//evil.example/x' });
    expect(response.headers.get('location')).toBe('/');
  });
});

describe('the shared app', () => {
  it('leaves /slack/events to whatever is mounted after the portal, raw body and all', async () => {
    h = await startPortal();
    const { createWebApp } = await import('../../../src/web/webApp.js');
    const { createLogger } = await import('../../../src/logger.js');
    const { ApprovalLinks } = await import('../../../src/services/links/approvalLinks.js');
    const app = createWebApp({
      deps: h.deps,
      logger: createLogger('silent'),
      publicUrl: 'http://127.0.0.1',
      bind: '127.0.0.1',
      secret: Buffer.alloc(32, 1),
      approvalLinks: new ApprovalLinks(Buffer.alloc(32, 2), 'http://127.0.0.1'),
      slackConfigured: true,
    });
    let received: { body: string; contentType: string | undefined } | undefined;
    app.post('/slack/events', express.raw({ type: '*/*' }), (req, res) => {
      received = { body: (req.body as Buffer).toString('utf8'), contentType: req.headers['content-type'] };
      res.status(200).send('');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const payload = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
      const response = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: payload,
      });
      expect(response.status).toBe(200);
      expect(received).toEqual({ body: payload, contentType: 'application/x-www-form-urlencoded' });
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(response.headers.get('content-security-policy')).toBeNull();
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports readiness with the checks it is given', async () => {
    let schedulerRunning = false;
    h = await startPortal({ web: { readinessChecks: { scheduler: () => schedulerRunning } } });
    const notReady = await fetch(`${h.baseUrl}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', checks: { store: 'ok', scheduler: 'not running' } });
    schedulerRunning = true;
    expect((await fetch(`${h.baseUrl}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${h.baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
  });
});
