import Handlebars from 'handlebars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/domain/session/session.js';
import { startChange } from '../../src/services/changes/changeWindow.js';
import { approveChange, rejectChange } from '../../src/services/changes/reviewChange.js';
import { judgeCommand } from '../../src/services/sessions/judgeCommand.js';
import { WebClient } from '../support/webClient.js';
import { portalPolicy, startPortal, type PortalHarness } from '../support/webHarness.js';
import { buildUser } from '../support/factories.js';
import { expectIntact, takeSnapshot } from './storeSnapshot.js';

/**
 * Injection attempts in the portal's parameters, bodies and headers, and hostile text in every
 * user-supplied field it renders. Each refusal is a status page saying what was wrong; the
 * store is left as it was. Already covered in test/integration/web: `?status[$ne]=x`,
 * repeated and unknown query values, bad dates and pages, CSRF, a <script> title and
 * description, security headers, rate limits, forged and reused approval links.
 */

const XSS = '<img src=x onerror=alert(1)><script>alert("x")</script>';
/** What handlebars makes of it (it escapes = and ` too). */
const XSS_ESCAPED = Handlebars.escapeExpression(XSS);

let h: PortalHarness;
let pendingCode: string;
let ranCode: string;
const SESSION_ID = 'sess-hostile';

beforeAll(async () => {
  // Hostile text wherever a user can put it: policy names, change fields, reasons, the
  // session's justification and address, and the command lines typed in it.
  const policy = portalPolicy();
  h = await startPortal({ policy: { ...policy, users: policy.users.map((u) => (u.id === 'alice' ? buildUser({ ...u, name: `Alice ${XSS}` }) : u)) } });
  const pending = await h.fileChange({ title: `Pending ${XSS}`, description: XSS, script: `echo '${XSS}'` });
  pendingCode = pending.code;
  const rejected = await h.fileChange({ title: `Rejected ${XSS}` });
  await rejectChange(h.deps, rejected.code, { userId: 'bob', terminal: 'web' }, `Because ${XSS}`);
  const now = h.clock.now().getTime();
  const ran = await h.fileChange({ title: `Ran ${XSS}`, script: 'systemctl restart nginx', windowStart: new Date(now - 60_000), windowEnd: new Date(now + 3600_000) });
  ranCode = ran.code;
  await approveChange(h.deps, ran.code, { userId: 'bob', terminal: 'slack' });
  const session: Session = {
    id: SESSION_ID,
    changeCode: ran.code,
    user: 'alice',
    device: 'web01',
    kind: 'shell',
    justification: `maintenance ${XSS}`,
    clientAddress: `10.0.0.9 ${XSS}`,
    startedAt: h.clock.now(),
    state: 'active',
  };
  await h.store.sessions.create(session);
  await startChange(h.deps, ran.code, { userId: 'alice', terminal: `proxy ${XSS}` });
  const scope = { session, group: 'web-ops', interruptAttempts: new Map<string, number>() };
  for (const line of [`echo '${XSS}'`, `rm -rf '/tmp/${XSS}'`]) await judgeCommand(h.deps, scope, line, 'shell');
});
afterAll(async () => h?.close());

async function signedIn(user: string): Promise<WebClient> {
  const client = new WebClient(h.baseUrl);
  await client.signInLocally(user);
  return client;
}

/** The message of an error page (inside <main>), tags removed. */
function messageOf(html: string): string {
  const main = html.slice(html.indexOf('<main'), html.indexOf('</main>'));
  return main.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}

interface HostileRequest {
  readonly name: string;
  readonly user: string;
  readonly path: () => string;
  /** A form posted with the page's CSRF token (read from `formPage` first). */
  readonly form?: { readonly formPage: () => string; readonly fields: Record<string, string> };
  readonly status: number;
  readonly says: string | RegExp;
  /** Refusals the service itself audits (status D records). */
  readonly auditedRefusals?: number;
}

/** A valid new-change form (then spoiled field by field). */
function newChange(overrides: Record<string, string> = {}): Record<string, string> {
  const at = (hours: number) => new Date(Date.now() + hours * 3600_000).toISOString().slice(0, 16);
  return {
    title: 'Restart nginx',
    description: '',
    windowStart: at(2),
    windowEnd: at(4),
    group: 'web-ops',
    devices: 'web01',
    script: 'systemctl restart nginx',
    intent: 'check',
    ...overrides,
  };
}

const hostileRequests: HostileRequest[] = [
  { name: 'a __proto__ query key', user: 'erin', path: () => '/changes?__proto__[polluted]=1', status: 400, says: 'unknown query parameter "__proto__[polluted]"' },
  { name: 'a constructor.prototype query key', user: 'erin', path: () => '/audit?constructor[prototype][admin]=1', status: 400, says: 'unknown query parameter "constructor[prototype][admin]"' },
  { name: 'an array where a string is expected', user: 'erin', path: () => '/changes?status[]=approved', status: 400, says: 'unknown query parameter "status[]"' },
  { name: 'a very long query value', user: 'erin', path: () => `/audit?actor=${'x'.repeat(5000)}`, status: 400, says: /query parameter actor/ },
  { name: 'a NUL byte in a query value', user: 'erin', path: () => '/audit?actor=%00bob', status: 400, says: /query parameter actor/ },
  { name: 'invalid UTF-8 in a query value', user: 'erin', path: () => '/audit?from=%ff%fe', status: 400, says: /query parameter from/ },
  { name: 'path traversal in a session id', user: 'erin', path: () => '/sessions/..%2f..%2fetc%2fpasswd', status: 400, says: /expected a session id/ },
  { name: 'path traversal in a change code', user: 'erin', path: () => '/changes/..%2f..%2fetc', status: 400, says: /expected a change code such as CHG-42/ },
  { name: 'path traversal after a recording', user: 'erin', path: () => `/sessions/${SESSION_ID}/recording/..%2f..%2fetc`, status: 404, says: /there is no page at/ },
  { name: 'a NUL byte in a change code', user: 'erin', path: () => '/changes/CHG-1%00', status: 400, says: /expected a change code such as CHG-42/ },
  { name: 'a broken percent-encoding in a path', user: 'erin', path: () => '/changes/%E0%A4%A', status: 400, says: /could not be read|expected a change code/ },
  {
    name: 'an oversized form',
    user: 'bob',
    path: () => `/changes/${pendingCode}/reject`,
    form: { formPage: () => `/changes/${pendingCode}`, fields: { reason: 'x'.repeat(70_000) } },
    status: 413,
    says: 'the form sent too much data',
  },
  {
    name: 'a form with too many fields',
    user: 'bob',
    path: () => `/changes/${pendingCode}/reject`,
    form: { formPage: () => `/changes/${pendingCode}`, fields: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, 'x'])) },
    status: 413,
    says: 'the form has too many fields',
  },
  {
    name: 'a reason with NUL and a right-to-left override',
    user: 'bob',
    path: () => `/changes/${pendingCode}/reject`,
    form: { formPage: () => `/changes/${pendingCode}`, fields: { reason: 'not now\u0000 \u202egnikrow' } },
    status: 400,
    says: 'the reason contains an invisible control character (U+0000 NUL) at character 8',
  },
  {
    name: 'a reason over 1000 characters',
    user: 'bob',
    path: () => `/changes/${pendingCode}/reject`,
    form: { formPage: () => `/changes/${pendingCode}`, fields: { reason: 'r'.repeat(1001) } },
    status: 400,
    says: /^ ?That request is not valid form field reason: keep the reason under 1000 characters/,
  },
  // The change form (New change, Edit, Reschedule, Finish), reports and password sign-in.
  { name: 'an operator in a report date', user: 'erin', path: () => '/reports?from[$gt]=2020-01-01', status: 400, says: 'unknown query parameter "from[$gt]"' },
  { name: 'a NUL byte in a report date', user: 'erin', path: () => '/reports?from=2026-01-01%00', status: 400, says: /query parameter from: expected a date as YYYY-MM-DD/ },
  { name: 'an impossible report date', user: 'erin', path: () => '/reports?to=2026-02-31', status: 400, says: 'query parameter to: 2026-02-31 is not a real date' },
  { name: 'a query on the new-change page', user: 'alice', path: () => '/changes/new?title=x', status: 400, says: 'unknown query parameter "title"' },
  {
    name: 'a __proto__ field in the change form',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: { ...newChange(), __proto__x: '1', 'constructor[prototype]': '1' } },
    status: 400,
    says: 'unknown form fields "__proto__x", "constructor[prototype]"',
  },
  {
    name: 'servers as an object in the change form',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: { ...newChange(), 'devices[$ne]': 'web01' } },
    status: 400,
    says: 'unknown form field "devices[$ne]"',
  },
  {
    name: 'a NUL byte in a change title',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: newChange({ title: 'Restart\u0000nginx' }) },
    status: 400,
    says: 'title: contains an invisible control character (U+0000 NUL) at character 8',
  },
  {
    name: 'a right-to-left override in a script',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: newChange({ script: 'echo safe\n\u202erm -rf / #' }) },
    status: 400,
    says: /script: contains .*U\+202E/,
  },
  {
    name: 'an impossible window start',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: newChange({ windowStart: '2026-02-30T10:00' }) },
    status: 400,
    says: 'windowStart: is not a date',
  },
  {
    name: 'a script over 64 KiB',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: newChange({ script: `echo ${'é'.repeat(33_000)}` }) },
    status: 400,
    says: 'script: is larger than 64 KiB',
  },
  {
    name: 'a change form body over 320 KiB',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: newChange({ script: 'ééé'.repeat(40_000) }) },
    status: 413,
    says: 'the form sent too much data',
  },
  {
    name: 'an unknown intent',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: newChange({ intent: 'file-and-approve' }) },
    status: 400,
    says: /form field intent/,
  },
  {
    name: 'a forged preflight fingerprint',
    user: 'alice',
    path: () => '/changes/new',
    form: { formPage: () => '/changes/new', fields: newChange({ intent: 'file', checked: '../../etc/passwd' }) },
    status: 400,
    says: 'form field checked: expected the fingerprint of the checked form',
  },
  {
    name: 'an edit of a change by someone who did not file it',
    user: 'bob',
    path: () => `/changes/${pendingCode}/edit`,
    form: { formPage: () => `/changes/${pendingCode}`, fields: { title: 'mine now', devices: 'web01', script: 'id', intent: 'check' } },
    status: 403,
    says: /only alice, who filed CHG-\d+, can edit it/,
    auditedRefusals: 1,
  },
  {
    name: 'a reschedule with a NUL byte in its reason',
    user: 'alice',
    path: () => `/changes/${pendingCode}/reschedule`,
    form: { formPage: () => `/changes/${pendingCode}/edit`, fields: { windowStart: '2030-01-01T10:00', windowEnd: '2030-01-01T12:00', reason: 'later\u0000' } },
    status: 400,
    says: 'reason: contains an invisible control character (U+0000 NUL) at character 6',
  },
  {
    name: 'a field added to Finish now',
    user: 'alice',
    path: () => `/changes/${ranCode}/finish`,
    form: { formPage: () => `/changes/${ranCode}`, fields: { status: 'completed' } },
    status: 400,
    says: 'unknown form field "status"',
  },
  {
    name: 'a password sign-in with an operator for the user',
    user: 'erin',
    path: () => '/signin/password',
    form: { formPage: () => '/', fields: { 'user[$ne]': 'x', password: 'whatever at all' } },
    status: 400,
    says: 'unknown form field "user[$ne]"',
  },
  {
    name: 'a password of 2000 characters',
    user: 'erin',
    path: () => '/signin/password',
    form: { formPage: () => '/', fields: { user: 'erin', password: 'p'.repeat(2000) } },
    status: 400,
    says: 'form field password: a password has at most 1024 characters',
  },
  {
    name: 'an injection object in a hidden field',
    user: 'bob',
    path: () => `/changes/${pendingCode}/approve`,
    form: { formPage: () => `/changes/${pendingCode}`, fields: { 'seenScriptHash[$ne]': '1' } },
    status: 400,
    says: /seenScriptHash/,
  },
];

describe('hostile parameters and bodies', () => {
  for (const kase of hostileRequests) {
    it(`refuses ${kase.name} with ${kase.status}`, async () => {
      const client = await signedIn(kase.user);
      const before = await takeSnapshot(h.store);
      let response: Response;
      if (kase.form) {
        await client.page(kase.form.formPage());
        response = await client.post(kase.path(), kase.form.fields);
      } else {
        response = await client.get(kase.path());
      }
      expect(response.status).toBe(kase.status);
      const message = messageOf(await response.text());
      if (typeof kase.says === 'string') expect(message).toContain(kase.says);
      else expect(message).toMatch(kase.says);
      await expectIntact(h.store, before, { auditedRefusals: kase.auditedRefusals });
    });
  }

  it.each([
    ['application/json', '{"reason":"json"}'],
    ['text/plain', 'reason=plain'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="reason"\r\n\r\nmultipart\r\n--x--\r\n'],
  ])('refuses a %s body with 415 naming it', async (type, body) => {
    const bob = await signedIn('bob');
    await bob.page(`/changes/${pendingCode}`);
    const before = await takeSnapshot(h.store);
    const cookie = ['cg_session', 'cg_browser', '__Host-cg_csrf', 'cg_csrf'].map((name) => [name, bob.cookie(name)]).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(`${h.baseUrl}/changes/${pendingCode}/reject`, { method: 'POST', headers: { cookie, 'content-type': type }, body, redirect: 'manual' });
    expect(response.status).toBe(415);
    expect(messageOf(await response.text())).toContain(`expected a form (application/x-www-form-urlencoded), got ${type.split(';')[0]}`);
    await expectIntact(h.store, before);
  });

  it('never echoes CRLF or a foreign site into a redirect after sign-in', async () => {
    for (const next of ['/\r\nSet-Cookie: evil=1', '/changes\nLocation: http://evil.example', '//evil.example', '/\\evil.example', 'https://evil.example', '/\t/evil.example']) {
      const client = new WebClient(h.baseUrl);
      await client.page(`/signin?next=${encodeURIComponent(next)}`);
      const response = await client.post('/signin/local', { user: 'erin', next });
      const location = response.headers.get('location');
      if (response.status === 303) expect(location, next).toMatch(/^\/(?![/\\])[^\r\n]*$/);
      else expect(response.status, next).toBe(403);
      expect(response.headers.get('set-cookie') ?? '', next).not.toContain('evil');
    }
  });
});

describe('hostile text in every field the portal shows', () => {
  it.each([
    ['erin', () => '/changes'],
    ['erin', () => `/changes/${pendingCode}`],
    ['erin', () => `/changes/${ranCode}`],
    ['erin', () => `/changes/${ranCode}/audit`],
    ['erin', () => '/sessions'],
    ['erin', () => `/sessions/${SESSION_ID}`],
    ['erin', () => '/audit'],
    ['erin', () => '/policy'],
    ['bob', () => '/approvals'],
    ['sam', () => `/sessions/${SESSION_ID}`],
    ['alice', () => '/'],
    ['alice', () => '/changes/new'],
    ['alice', () => `/changes/${pendingCode}/edit`],
    ['erin', () => '/reports'],
  ])('%s sees %s with every value escaped', async (user, path) => {
    const client = await signedIn(user);
    const { status, html } = await client.page(path());
    expect(status).toBe(200);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toMatch(/onerror=alert\(1\)>/);
    expect(html).toContain(XSS_ESCAPED);
  });

  it('escapes hostile text in the preflight of the change form, and files nothing', async () => {
    const alice = await signedIn('alice');
    await alice.page('/changes/new');
    const before = await takeSnapshot(h.store);
    const response = await alice.post('/changes/new', newChange({ code: 'CHG-XSS', title: `T ${XSS}`, description: XSS, script: `echo '${XSS}'\nrm -rf '/tmp/${XSS}'` }));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('id="preflight"');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain(XSS_ESCAPED);
    await expectIntact(h.store, before);
  });

  it('keeps the printable report free of markup from the data, under a CSP with no script', async () => {
    const erin = await signedIn('erin');
    const response = await erin.get('/reports/period');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-inline/);
    const html = await response.text();
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(XSS_ESCAPED);
  });

  it('keeps the JSON and CSV exports data, not markup', async () => {
    const erin = await signedIn('erin');
    const json = await erin.get(`/changes/${ranCode}/evidence.json`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
    expect(JSON.stringify(await json.json())).toContain(XSS.replace(/"/g, '\\"'));
    const csv = await erin.get(`/changes/${ranCode}/evidence.csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment/);
  });
});
