import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashScript } from '../../../src/domain/change/scriptHash.js';
import { startChange } from '../../../src/services/changes/changeWindow.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import type { DomainEvent } from '../../../src/services/domainEvents.js';
import { dateToWallTime } from '../../../src/domain/time/wallTime.js';
import { WebClient } from '../../support/webClient.js';
import { seedRanChange, startPortal, type PortalHarness } from '../../support/webHarness.js';
import { storedNotifications } from '../../support/storedNotifications.js';

/**
 * Filing, editing, rescheduling and finishing a change on the web: the same services as Slack
 * (registerChange, editChange, rescheduleChange, finishChange), the same refusals, and the page
 * only translating forms. Over HTTP against the portal on a real server.
 */

let h: PortalHarness;
let events: DomainEvent[];
beforeEach(async () => {
  h = await startPortal();
  events = [];
  h.deps.events.subscribe((event) => {
    events.push(event);
  });
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

/** A wall time in the policy's zone (UTC in the portal harness), hours from now. */
function inHours(hours: number): string {
  return dateToWallTime(new Date(h.clock.now().getTime() + hours * 3600_000), 'UTC');
}

function draft(overrides: Record<string, string | null> = {}): Record<string, string | null> {
  return {
    code: 'CHG-WEB1',
    title: 'Rotate the nginx certificate',
    description: 'Filed on the web',
    windowStart: inHours(2),
    windowEnd: inHours(4),
    group: 'web-ops',
    devices: 'web01',
    script: 'systemctl reload nginx\r\nrm -rf /var/cache/nginx\r\nnginx -t',
    ...overrides,
  };
}

/** Posts the draft with Check, then files what was checked (the page's File button). */
async function checkThenFile(client: WebClient, form: Record<string, string | null>): Promise<Response> {
  await client.page('/changes/new');
  const check = await client.post('/changes/new', { ...form, intent: 'check' });
  expect(check.status).toBe(200);
  client.lastHtml = await check.text();
  const fingerprint = /name="checked" value="([0-9a-f]{64})"/.exec(client.lastHtml)?.[1];
  expect(fingerprint, 'the preflight offers to file').toBeDefined();
  return client.post('/changes/new', { ...form, intent: 'file', checked: fingerprint! });
}

describe('filing a change on the web', () => {
  it('offers the form with a suggested code, the next window and the groups of the requester', async () => {
    const alice = await signedIn('alice');
    const page = await alice.page('/changes/new');
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/name="code" value="CHG-\d+"/);
    expect(page.html).toContain('<option value="web-ops" selected>web-ops</option>');
    expect(page.html).toContain('name="devices" value="web01"');
    expect(page.html).toContain('name="devices" value="web02"');
    expect(page.html).toMatch(/name="windowStart" type="datetime-local" value="\d{4}-\d\d-\d\dT\d\d:00"/);
    // No File button before a check.
    expect(page.html).not.toContain('id="file"');

    const dave = await signedIn('dave');
    expect((await dave.page('/changes/new')).html).toContain('You are not a member of any access group');
  });

  it('shows the preflight before filing, then files exactly what was checked, as registerChange', async () => {
    const alice = await signedIn('alice');
    await alice.page('/changes/new');
    const check = await alice.post('/changes/new', { ...draft(), intent: 'check' });
    expect(check.status).toBe(200);
    const html = mainOf(await check.text());
    expect(html).toContain('id="preflight"');
    expect(html).toMatch(/3 command lines checked against the rules of each server/);
    expect(html).toContain('<code>rm -rf /var/cache/nginx</code>');
    expect(html).toContain('no-recursive-rm');
    expect(html).toContain('<span class="badge risk-high">high</span>');
    expect(await h.store.changes.findByCode('CHG-WEB1')).toBeNull();

    const filed = await checkThenFile(alice, draft());
    expect(filed.status).toBe(303);
    expect(filed.headers.get('location')).toBe('/changes/CHG-WEB1?done=filed');
    const change = await h.store.changes.findByCode('CHG-WEB1');
    expect(change).toMatchObject({
      requester: 'alice',
      status: 'pending_approval',
      devices: ['web01'],
      script: 'systemctl reload nginx\nrm -rf /var/cache/nginx\nnginx -t',
      scriptHash: hashScript('systemctl reload nginx\nrm -rf /var/cache/nginx\nnginx -t'),
    });
    expect(change!.windowStart.toISOString()).toBe(`${inHours(2)}:00.000Z`);
    expect((await h.store.audit.list({ change: 'CHG-WEB1', eventType: 'CREATE' })).records[0]).toMatchObject({ actor: 'alice', terminal: 'web 127.0.0.1' });
    expect(events.map((e) => e.type)).toEqual(['change.created']);
    const page = await alice.page('/changes/CHG-WEB1?done=filed');
    expect(page.html).toContain('The change is filed');
  });

  it('checks again instead of filing when a field changed after the check', async () => {
    const alice = await signedIn('alice');
    await alice.page('/changes/new');
    const check = await alice.post('/changes/new', { ...draft(), intent: 'check' });
    const fingerprint = /name="checked" value="([0-9a-f]{64})"/.exec(await check.text())![1]!;
    const changed = await alice.post('/changes/new', { ...draft({ script: 'shutdown -h now' }), intent: 'file', checked: fingerprint });
    expect(changed.status).toBe(200);
    const html = mainOf(await changed.text());
    expect(html).toContain('The form changed since it was checked');
    expect(html).toContain('no-shutdown');
    expect(await h.store.changes.findByCode('CHG-WEB1')).toBeNull();
  });

  it('refuses what Slack refuses, field by field, and files nothing', async () => {
    const alice = await signedIn('alice');
    await alice.page('/changes/new');
    const cases: [Record<string, string | null>, string, string][] = [
      [{ windowEnd: inHours(1) }, 'windowEnd', 'must be after the start'],
      [{ windowStart: 'tomorrow' }, 'windowStart', 'is not a date'],
      [{ title: '   ' }, 'title', 'is required'],
      [{ devices: null }, 'devices', 'choose at least one server'],
      [{ devices: 'db01' }, 'devices', 'not in group web-ops: db01'],
      [{ script: '\r\n  \r\n' }, 'script', 'is empty: list the exact commands you will run'],
      [{ script: `echo ${'x'.repeat(64 * 1024)}` }, 'script', 'is larger than 64 KiB'],
      [{ code: 'not a code' }, 'code', 'must look like CHG-42'],
    ];
    for (const [fields, field, message] of cases) {
      const response = await alice.post('/changes/new', { ...draft(fields), intent: 'check' });
      expect(response.status, field).toBe(400);
      const html = mainOf(await response.text());
      expect(html, field).toContain(message);
      expect(html, field).toContain('class="field-error"');
    }
    const dave = await signedIn('dave');
    await dave.page('/changes/new');
    const notMember = await dave.post('/changes/new', { ...draft(), intent: 'check' });
    expect(notMember.status).toBe(400);
    expect(mainOf(await notMember.text())).toContain('you are not a member of web-ops');
    expect(await h.store.changes.list({})).toEqual([]);
  });

  it('takes a script of 64 KiB, which Slack cannot', async () => {
    const alice = await signedIn('alice');
    const script = Array.from({ length: 1900 }, (_, i) => `echo line-${String(i).padStart(4, '0')} ${'y'.repeat(18)}`).join('\n');
    expect(Buffer.byteLength(script)).toBeGreaterThan(60 * 1024);
    expect(Buffer.byteLength(script)).toBeLessThanOrEqual(64 * 1024);
    const filed = await checkThenFile(alice, draft({ script }));
    expect(filed.status).toBe(303);
    expect((await h.store.changes.findByCode('CHG-WEB1'))?.script).toBe(script);
  });

  it('refuses a code already taken at the check, with no File button', async () => {
    await h.fileChange({ code: 'CHG-WEB1' });
    const alice = await signedIn('alice');
    await alice.page('/changes/new');
    const check = await alice.post('/changes/new', { ...draft(), intent: 'check' });
    const html = mainOf(await check.text());
    expect(html).toContain('CHG-WEB1 is already taken');
    expect(html).not.toContain('id="file"');
  });
});

describe('editing, rescheduling and finishing from the change page', () => {
  it('edits an approved change: approvals withdrawn, new script hash, approvers asked again', async () => {
    const change = await h.fileChange();
    await approveChange(h.deps, change.code, { userId: 'bob', terminal: 'slack' });
    const alice = await signedIn('alice');
    const page = await alice.page(`/changes/${change.code}`);
    expect(page.html).toContain(`href="/changes/${change.code}/edit"`);
    const edit = await alice.page(`/changes/${change.code}/edit`);
    expect(edit.status).toBe(200);
    expect(edit.html).toContain('Editing withdraws every approval');
    const form = { title: 'Restart nginx, then check', description: 'with a config test', devices: 'web01', script: 'nginx -t\nsystemctl restart nginx', reason: 'forgot the config test' };
    const check = await alice.post(`/changes/${change.code}/edit`, { ...form, intent: 'check' });
    expect(check.status).toBe(200);
    alice.lastHtml = await check.text();
    expect(alice.lastHtml).toContain('id="preflight"');
    const fingerprint = /name="checked" value="([0-9a-f]{64})"/.exec(alice.lastHtml)![1]!;
    const saved = await alice.post(`/changes/${change.code}/edit`, { ...form, intent: 'file', checked: fingerprint });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`/changes/${change.code}?done=edited`);
    const after = await h.store.changes.findByCode(change.code);
    expect(after).toMatchObject({ status: 'pending_approval', approvals: [], title: form.title, scriptHash: hashScript(form.script) });
    expect(after!.scriptHash).not.toBe(change.scriptHash);
    const record = (await h.store.audit.list({ change: change.code, eventType: 'EDIT' })).records[0];
    expect(record).toMatchObject({ status: 'S', actor: 'alice', reason: 'forgot the config test' });
    expect(record!.details).toMatch(/^edited title, description, script \(script hash [0-9a-f]{12}\); approvals withdrawn/);
    expect(events.map((e) => e.type)).toContain('change.edited');
    // bob sees it waiting for him again.
    const bob = await signedIn('bob');
    expect((await bob.page('/approvals')).html).toContain(`/changes/${change.code}`);
  });

  it('refuses an edit by anyone but the requester, and once work started', async () => {
    const change = await h.fileChange();
    const bob = await signedIn('bob');
    const page = await bob.page(`/changes/${change.code}`);
    expect(page.html).not.toContain('/edit"');
    expect((await bob.get(`/changes/${change.code}/edit`)).status).toBe(403);
    await bob.page(`/changes/${change.code}`);
    const refused = await bob.post(`/changes/${change.code}/edit`, { title: 'x', devices: 'web01', script: 'ls', intent: 'file', checked: '' });
    expect(refused.status).toBe(403);
    expect(mainOf(await refused.text())).toContain(`only alice, who filed ${change.code}, can edit it`);
    expect((await h.store.audit.list({ change: change.code, eventType: 'EDIT' })).records.map((r) => r.status)).toEqual(['D']);

    const ran = await seedRanChange(h, 'sess-edit');
    const alice = await signedIn('alice');
    expect((await alice.get(`/changes/${ran}/edit`)).status).toBe(403);
  });

  it('reschedules through rescheduleChange: the window moves and approval is needed again', async () => {
    const change = await h.fileChange();
    await approveChange(h.deps, change.code, { userId: 'bob', terminal: 'slack' });
    const alice = await signedIn('alice');
    await alice.page(`/changes/${change.code}/edit`);
    const backwards = await alice.post(`/changes/${change.code}/reschedule`, { windowStart: inHours(30), windowEnd: inHours(29), reason: '' });
    expect(backwards.status).toBe(400);
    expect(mainOf(await backwards.text())).toContain('must be after the start');
    const moved = await alice.post(`/changes/${change.code}/reschedule`, { windowStart: inHours(24), windowEnd: inHours(26), reason: 'vendor delay' });
    expect(moved.status).toBe(303);
    expect(moved.headers.get('location')).toBe(`/changes/${change.code}?done=rescheduled`);
    const after = await h.store.changes.findByCode(change.code);
    expect(after).toMatchObject({ status: 'pending_approval', approvals: [] });
    expect(after!.windowStart.toISOString()).toBe(`${inHours(24)}:00.000Z`);
    expect((await h.store.audit.list({ change: change.code, eventType: 'RESCHEDULE' })).records[0]).toMatchObject({ actor: 'alice', reason: 'vendor delay' });
  });

  it('lets the requester finish a change in progress; its audit runs and the summary goes out', async () => {
    const code = await seedRanChange(h, 'sess-finish');
    const bob = await signedIn('bob');
    expect((await bob.page(`/changes/${code}`)).html).not.toContain('id="finish"');
    const refused = await bob.post(`/changes/${code}/finish`, {});
    expect(refused.status).toBe(403);
    const alice = await signedIn('alice');
    const page = await alice.page(`/changes/${code}`);
    expect(page.html).toContain('id="finish"');
    const finished = await alice.post(`/changes/${code}/finish`, {});
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe(`/changes/${code}?done=finished`);
    // The seeded session left a planned line unrun: incomplete, as at the window's end.
    expect((await h.store.changes.findByCode(code))?.status).toBe('incomplete');
    expect((await h.store.sessions.findById('sess-finish'))).toMatchObject({ state: 'terminated', endReason: 'the requester finished the change before its window ended' });
    // Written with the close: the summary to the audit channel, and the session's end to security.
    expect((await storedNotifications(h.store, { types: ['window.closed'] })).map((n) => n.audience)).toEqual([[{ role: 'audit' }]]);
    expect((await h.store.audit.list({ change: code, eventType: 'COMPLETE' })).records.map((r) => [r.actor, r.status])).toEqual([
      ['bob', 'D'],
      ['alice', 'S'],
    ]);
    const again = await alice.post(`/changes/${code}/finish`, {});
    expect(again.status).toBe(409);
  });

  it('refuses to finish an approved change nothing ran on: cancel it instead', async () => {
    const change = await h.fileChange();
    await approveChange(h.deps, change.code, { userId: 'bob', terminal: 'slack' });
    const alice = await signedIn('alice');
    await alice.page(`/changes/${change.code}`);
    const refused = await alice.post(`/changes/${change.code}/finish`, {});
    expect(refused.status).toBe(409);
    expect(mainOf(await refused.text())).toContain(`nothing has run on ${change.code} yet: cancel it instead of finishing it`);
  });

  it('shows the ssh line to connect, for each server, until the change is over', async () => {
    const change = await h.fileChange({ devices: ['web01', 'web02'] });
    const alice = await signedIn('alice');
    let html = (await alice.page(`/changes/${change.code}`)).html;
    expect(html).toContain(`<code class="ssh-line">ssh -p 2222 alice+${change.code}+web01@changeguard.test</code>`);
    expect(html).toContain(`<code class="ssh-line">ssh -p 2222 alice+${change.code}+web02@changeguard.test</code>`);
    expect(html).toContain('Once the change is approved');
    await approveChange(h.deps, change.code, { userId: 'bob', terminal: 'slack' });
    const bob = await signedIn('bob');
    html = (await bob.page(`/changes/${change.code}`)).html;
    expect(html).toContain('How alice connects');
    expect(html).toContain(`ssh -p 2222 alice+${change.code}+web01@changeguard.test`);
    await startChange(h.deps, change.code, { userId: 'alice', terminal: 'proxy' });
    const done = await seedRanChange(h, 'sess-over');
    await h.deps.store.changes.findByCode(done);
    const alice2 = await signedIn('alice');
    await alice2.page(`/changes/${done}`);
    await alice2.post(`/changes/${done}/finish`, {});
    expect((await alice2.page(`/changes/${done}`)).html).not.toContain('ssh-line');
  });
});
