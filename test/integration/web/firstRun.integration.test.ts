import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/services/access/passwords.js';
import { importPolicy } from '../../../src/services/policy/policyImport.js';
import { buildGroup, buildPolicy, buildUser } from '../../support/factories.js';
import { WebClient } from '../../support/webClient.js';
import { FIXTURES_DIR, portalPolicy, seedRanChange, startPortal, type PortalHarness } from '../../support/webHarness.js';
import { parseAsciicast } from '../../support/asciicast.js';

/**
 * What a new user meets: the first page with no policy, password sign-in without Slack, the
 * landing page their roles give them, the period report, and a styled page for any unknown
 * address. Over HTTP against the portal on a real server.
 */

let h: PortalHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function mainOf(html: string): string {
  return html.slice(html.indexOf('<main'), html.indexOf('</main>'));
}

async function signedIn(portal: PortalHarness, user: string): Promise<WebClient> {
  const client = new WebClient(portal.baseUrl);
  await client.signInLocally(user);
  return client;
}

describe('the first page', () => {
  it('says what to do when no policy is loaded, instead of an empty sign-in box', async () => {
    h = await startPortal({ policy: buildPolicy({ users: [], groups: [], devices: [] }) });
    const client = new WebClient(h.baseUrl);
    const home = await client.get('/');
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/signin');
    const page = await client.page('/signin');
    expect(page.status).toBe(200);
    const main = mainOf(page.html);
    expect(main).toContain('No policy is loaded yet');
    expect(main).toContain('cp .env.example .env');
    expect(main).toContain('npx changeguard policy import examples/policy.yml');
    expect(main).not.toContain('No way to sign in is offered');
  });
});

describe('password sign-in', () => {
  async function portalWithPasswords(web: Parameters<typeof startPortal>[0] extends infer O ? (O extends { web?: infer W } ? W : never) : never = {}) {
    const policy = portalPolicy();
    const hash = await hashPassword('correct horse battery');
    const users = policy.users.map((u) => (u.id === 'bob' || u.id === 'alice' ? buildUser({ ...u, passwordHash: hash }) : u));
    return startPortal({ policy: { ...policy, users }, web });
  }

  it('replaces the no-password picker once the policy sets passwords, with Slack or not', async () => {
    h = await portalWithPasswords({ slackConfigured: true, bind: '0.0.0.0' });
    const client = new WebClient(h.baseUrl);
    const page = await client.page('/signin');
    expect(page.html).toContain('id="password-signin"');
    expect(page.html).not.toContain('id="local-signin"');
    expect(page.html).not.toContain('local-banner');
    expect((await client.post('/signin/local', { user: 'bob' })).status).toBe(404);

    const signedInAsBob = await client.post('/signin/password', { user: 'bob', password: 'correct horse battery' });
    expect(signedInAsBob.status).toBe(303);
    expect(signedInAsBob.headers.get('location')).toBe('/');
    const home = await client.page('/');
    expect(home.status).toBe(200);
    expect(home.html).toContain('Bob');
    const record = (await h.store.audit.list({ eventType: 'SIGNIN' })).records.at(-1);
    expect(record).toMatchObject({ status: 'S', actor: 'bob', details: 'password sign-in' });
  });

  it('gives one answer for a wrong password, an unknown user and a user without a password, all audited', async () => {
    h = await portalWithPasswords();
    const client = new WebClient(h.baseUrl);
    await client.page('/signin');
    for (const [user, password, reason] of [
      ['bob', 'not his password!', 'wrong password'],
      ['nobody', 'correct horse battery', 'not a user of the policy'],
      ['erin', 'correct horse battery', 'no password set in the policy'],
    ] as const) {
      const response = await client.post('/signin/password', { user, password });
      expect(response.status, user).toBe(403);
      const html = await response.text();
      expect(mainOf(html), user).toContain('unknown user or wrong password');
      // The user id typed stays in the form; the password never comes back.
      expect(html).toContain(`value="${user}"`);
      expect(html).not.toContain(password);
      client.lastHtml = html;
      const denied = (await h.store.audit.list({ eventType: 'SIGNIN', status: 'D' })).records.at(-1);
      expect(denied, user).toMatchObject({ object: user, details: 'password sign-in', reason });
    }
    expect(client.cookie('__Host-changeguard.session')).toBeUndefined();
  });

  it('pauses password sign-in for an account after repeated failures, from any address', async () => {
    h = await portalWithPasswords({ rateLimits: { passwordFailures: { limit: 3, windowMs: 60_000 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const client = new WebClient(h.baseUrl);
      await client.page('/signin');
      statuses.push((await client.post('/signin/password', { user: 'Bob', password: `guess number ${i}` })).status);
    }
    expect(statuses).toEqual([403, 403, 403, 429]);
    const client = new WebClient(h.baseUrl);
    await client.page('/signin');
    const right = await client.post('/signin/password', { user: 'bob', password: 'correct horse battery' });
    expect(right.status).toBe(429);
    expect(mainOf(await right.text())).toContain('too many failed sign-ins for this user');
    // Another account is not affected.
    const alice = await client.post('/signin/password', { user: 'alice', password: 'correct horse battery' });
    expect(alice.status).toBe(303);
  });

  it('ends picker sessions once the policy sets passwords, and password sessions once the password goes', async () => {
    h = await startPortal();
    const picked = new WebClient(h.baseUrl);
    await picked.signInLocally('bob');
    expect((await picked.get('/approvals')).status).toBe(200);
    const hash = await hashPassword('correct horse battery');
    const yaml = (withHash: boolean) =>
      `users:\n${portalPolicy()
        .users.map((u) => `  - { id: ${u.id}, name: ${u.name}, roles: [${u.roles.join(', ')}]${withHash && u.id === 'bob' ? `, passwordHash: "${hash}"` : ''} }`)
        .join('\n')}\n`;
    await importPolicy(h.deps, yaml(true), 'policy.yml', { userId: 'ada', terminal: 'cli' });
    expect((await picked.get('/approvals')).status).toBe(303);

    const withPassword = new WebClient(h.baseUrl);
    await withPassword.page('/signin');
    expect((await withPassword.post('/signin/password', { user: 'bob', password: 'correct horse battery' })).status).toBe(303);
    expect((await withPassword.get('/approvals')).status).toBe(200);
    await importPolicy(h.deps, yaml(false), 'policy.yml', { userId: 'ada', terminal: 'cli' });
    expect((await withPassword.get('/approvals')).status).toBe(303);
  });

  it('keeps password hashes out of the audit images and the policy page', async () => {
    h = await startPortal();
    const hash = await hashPassword('correct horse battery');
    const users = `users:\n${portalPolicy()
      .users.map((u) => `  - { id: ${u.id}, roles: [${u.roles.join(', ')}]${u.id === 'ada' ? `, passwordHash: "${hash}"` : ''} }`)
      .join('\n')}\n`;
    await importPolicy(h.deps, users, 'policy.yml', { userId: 'ada', terminal: 'cli' });
    const records = (await h.store.audit.list({ eventType: 'UPDATE' })).records.filter((r) => r.object === 'ada');
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records)).not.toContain(hash);
    expect(JSON.stringify(records[0]!.images)).toMatch(/"passwordHash":"set \(sha256:[0-9a-f]{12}\)"/);
    const ada = new WebClient(h.baseUrl);
    await ada.page('/signin');
    expect((await ada.post('/signin/password', { user: 'ada', password: 'correct horse battery' })).status).toBe(303);
    const page = await ada.page('/policy');
    expect(page.status).toBe(200);
    expect(page.html).not.toContain(hash.slice(20));
    expect(page.html).toContain('<td data-label="Web password">set</td>');
  });
});

describe('the landing page after sign-in', () => {
  it('shows each role what it asks of them', async () => {
    h = await startPortal();
    const pending = await h.fileChange({ title: 'Waiting for bob' });
    const alice = await signedIn(h, 'alice');
    let main = mainOf((await alice.page('/')).html);
    expect(main).toContain('Your open changes');
    expect(main).toContain('href="/changes/new"');
    expect(main).toContain(pending.code);
    expect(main).not.toContain('Waiting for your decision');

    const bob = await signedIn(h, 'bob');
    main = mainOf((await bob.page('/')).html);
    expect(main).toContain('Waiting for your decision');
    expect(main).toContain(pending.code);

    const erin = await signedIn(h, 'erin');
    main = mainOf((await erin.page('/')).html);
    expect(main).toContain('href="/reports"');
    expect(main).toContain('href="/audit"');
    expect(main).not.toContain('href="/locks"');

    const sam = await signedIn(h, 'sam');
    main = mainOf((await sam.page('/')).html);
    expect(main).toContain('href="/sessions"');
    expect(main).toContain('href="/locks"');

    const dave = await signedIn(h, 'dave');
    main = mainOf((await dave.page('/')).html);
    expect(main).toContain('The policy puts you in no access group');
  });
});

describe('period reports on the web', () => {
  it('shows the report for a date range, prints it from the template and exports it, on record', async () => {
    h = await startPortal();
    const ran = await seedRanChange(h, 'sess-report');
    const erin = await signedIn(h, 'erin');
    const page = await erin.page('/reports');
    expect(page.status).toBe(200);
    const main = mainOf(page.html);
    expect(main).toMatch(/name="from" type="date" value="\d{4}-\d\d-\d\d"/);
    expect(main).toContain(ran);
    expect(main).toContain('<tr><td>no-recursive-rm</td><td class="num">1</td></tr>');
    expect(main).toContain('1: in progress 1');
    expect(main).toContain('intact');

    const today = new Date().toISOString().slice(0, 10);
    const printable = await erin.get(`/reports/period?from=${today}&to=${today}`);
    expect(printable.status).toBe(200);
    const csp = printable.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    const html = await printable.text();
    expect(html).toContain(`changeguard report ${today} to ${today}`);
    expect(html).toContain(ran);

    const json = await erin.get(`/reports/period.json?from=${today}&to=${today}`);
    expect(json.headers.get('content-disposition')).toBe(`attachment; filename="changeguard-report-${today}-to-${today}.json"`);
    const report = (await json.json()) as { changes: { total: number }; commands: { blocked: number }; timezone: string };
    expect(report).toMatchObject({ timezone: 'UTC', changes: { total: 1 }, commands: { blocked: 1 } });
    const download = await erin.get(`/reports/period.html?from=${today}&to=${today}`);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="changeguard-report-.*\.html"$/);
    const exports = (await h.store.audit.list({ eventType: 'EXPORT', actor: 'erin' })).records.map((r) => r.details);
    expect(exports).toHaveLength(3);
    expect(exports[1]).toMatch(/^period report as json \(/);
  });

  it('refuses readers without a report role, audited, and bad ranges with a 400', async () => {
    h = await startPortal();
    const alice = await signedIn(h, 'alice');
    const refused = await alice.get('/reports');
    expect(refused.status).toBe(403);
    expect(mainOf(await refused.text())).toContain('report needs one of the roles auditor, security, admin');
    expect((await h.store.audit.list({ eventType: 'REPORT', status: 'D' })).records[0]).toMatchObject({ actor: 'alice' });
    const erin = await signedIn(h, 'erin');
    expect((await erin.get('/reports?from=2026-02-30')).status).toBe(400);
    expect((await erin.get('/reports?from=2026-03-02&to=2026-03-01')).status).toBe(400);
    expect((await erin.get('/reports?from=2020-01-01&to=2026-01-01')).status).toBe(400);
  });
});

describe('replays of exec sessions', () => {
  it('show output as a terminal would (CR before each LF), shell recordings unchanged', async () => {
    h = await startPortal();
    const code = await seedRanChange(h, 'sess-demo');
    const session = await h.store.sessions.findById('sess-demo');
    await h.store.sessions.create({ ...session!, id: 'sess-exec', kind: 'exec', justification: 'config test' });
    const bob = await signedIn(h, 'bob');
    const exec = parseAsciicast(await (await bob.get('/sessions/sess-exec/recording')).text());
    expect(exec.output).toBe(
      'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\r\nnginx: configuration file /etc/nginx/nginx.conf test is successful\r\nline three\r\ncafé\r\n',
    );
    const shell = await (await bob.get('/sessions/sess-demo/recording')).text();
    expect(shell).toBe(readFileSync(join(FIXTURES_DIR, 'sess-demo.cast'), 'utf8'));
    expect((await h.store.audit.list({ change: code, eventType: 'VIEW' })).records).toHaveLength(2);
  });
});

describe('unknown addresses', () => {
  it('get the styled 404 page, signed in or not; Slack paths are left alone', async () => {
    h = await startPortal({ policy: portalPolicy({ groups: [buildGroup({ members: ['alice'] })] }) });
    for (const path of ['/nope', '/reports/nope', '/favicon.ico', '/a/b/c?x=1']) {
      const response = await fetch(`${h.baseUrl}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy'), path).toContain("default-src 'none'");
      const html = await response.text();
      expect(html, path).toContain('<link rel="stylesheet" href="/assets/app.css">');
      expect(mainOf(html), path).toContain('there is no page at');
    }
    const slack = await fetch(`${h.baseUrl}/slack/events`);
    expect(await slack.text()).not.toContain('changeguard');
  });
});
