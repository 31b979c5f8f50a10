import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateToWallTime } from '../../../src/domain/time/wallTime.js';
import { WebClient } from '../../support/webClient.js';
import { portalPolicy, startPortal, type PortalHarness } from '../../support/webHarness.js';

/**
 * Collisions and freezes on the web, over HTTP against the real portal: the requester sees
 * them in the preflight and on the change page, the approvers on the change page and the
 * approval link page; a freeze refuses the form unless it is an emergency.
 */
const HOUR = 3600_000;
const DAY = 24 * HOUR;
let h: PortalHarness;
/** The freeze: web02, the whole UTC day two days from now. */
const freezeDay = new Date(Math.floor(Date.now() / DAY) * DAY + 2 * DAY);
const day = (d: Date) => d.toISOString().slice(0, 10);
const wall = (d: Date) => dateToWallTime(d, 'UTC');

beforeAll(async () => {
  h = await startPortal({
    policy: portalPolicy({ freezes: [{ id: 'patch-day', from: day(freezeDay), to: day(freezeDay), devices: ['web02'], reason: 'Vendor patch day' }] }),
  });
});
afterAll(async () => h?.close());

async function signedIn(user: string): Promise<WebClient> {
  const client = new WebClient(h.baseUrl);
  await client.signInLocally(user);
  return client;
}

function draft(overrides: Record<string, string>): Record<string, string> {
  return { title: 'Upgrade nginx', description: '', group: 'web-ops', devices: 'web01', script: 'apt-get install -y nginx', ...overrides };
}

async function check(client: WebClient, form: Record<string, string>): Promise<{ status: number; html: string }> {
  await client.page('/changes/new');
  const response = await client.post('/changes/new', { ...form, intent: 'check' });
  const html = await response.text();
  client.lastHtml = html;
  return { status: response.status, html };
}

async function fileChecked(client: WebClient, form: Record<string, string>): Promise<string> {
  const fingerprint = /name="checked" value="([0-9a-f]{64})"/.exec(client.lastHtml)?.[1];
  expect(fingerprint).toBeDefined();
  const response = await client.post('/changes/new', { ...form, intent: 'file', checked: fingerprint! });
  expect(response.status).toBe(303);
  return decodeURIComponent(/\/changes\/([^?]+)\?done=filed/.exec(response.headers.get('location') ?? '')![1]!);
}

const section = (html: string, id: string) => new RegExp(`<section class="panel conflicts[^"]*" id="${id}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';

describe('overlapping changes on the web', () => {
  it('warns the requester in the preflight and on the change page, and the approvers on theirs', async () => {
    const start = new Date(Date.now() + 5 * HOUR);
    const first = await h.fileChange({ title: 'Rotate certificates', devices: ['web01'], windowStart: start, windowEnd: new Date(start.getTime() + 2 * HOUR) });
    const alice = await signedIn('alice');
    const form = draft({ code: 'CHG-W2', windowStart: wall(new Date(start.getTime() + HOUR)), windowEnd: wall(new Date(start.getTime() + 3 * HOUR)), devices: 'web01' });
    const preflight = await check(alice, form);
    expect(preflight.status).toBe(200);
    const warning = section(preflight.html, 'collisions');
    expect(warning).toContain('Overlaps 1 other change on the same servers');
    expect(warning).toContain(`<a href="/changes/${first.code}">${first.code}</a> Rotate certificates · pending approval · alice · on web01`);
    const code = await fileChecked(alice, form);
    expect(section((await alice.page(`/changes/${code}`)).html, 'collisions')).toContain(first.code);
    const bob = await signedIn('bob');
    expect(section((await bob.page(`/changes/${code}`)).html, 'collisions')).toContain(first.code);
    // The older change's page names the newer one too: both sides are warned.
    expect(section((await bob.page(`/changes/${first.code}`)).html, 'collisions')).toContain(code);
    const link = h.links.create(code, 'carol', h.clock.now());
    const carol = await signedIn('carol');
    expect(section((await carol.page(new URL(link).pathname)).html, 'collisions')).toContain(first.code);
  });
});

describe('freezes on the web', () => {
  const inFreeze = { windowStart: wall(new Date(freezeDay.getTime() + 10 * HOUR)), windowEnd: wall(new Date(freezeDay.getTime() + 12 * HOUR)) };

  it('refuses the form for a window in the freeze, saying how to go ahead', async () => {
    const alice = await signedIn('alice');
    const { status, html } = await check(alice, draft({ code: 'CHG-F1', ...inFreeze, devices: 'web02' }));
    expect(status).toBe(400);
    expect(html).toContain(
      `<p class="field-error">falls in the change freeze patch-day (Vendor patch day: ${day(freezeDay)} to ${day(freezeDay)}, UTC): choose a window outside it, or flag the change an emergency (it then needs 2 approvals instead of 1)</p>`,
    );
    expect(await h.store.changes.findByCode('CHG-F1')).toBeNull();
  });

  it('files an emergency into the freeze, which takes two approvers, and shows it everywhere', async () => {
    const alice = await signedIn('alice');
    const form = draft({ code: 'CHG-F2', ...inFreeze, devices: 'web02', emergency: 'yes' });
    const preflight = await check(alice, form);
    expect(preflight.status).toBe(200);
    expect(section(preflight.html, 'freeze-notice')).toContain('Flagged an <strong>emergency</strong>: it needs <strong>2 approvals</strong>');
    const code = await fileChecked(alice, form);
    expect((await h.store.changes.findByCode(code))?.emergency).toBe(true);

    const bob = await signedIn('bob');
    const page = await bob.page(`/changes/${code}`);
    expect(page.html).toContain('<span class="badge emergency" id="emergency-badge">emergency</span>');
    expect(section(page.html, 'freeze-notice')).toContain('<strong>patch-day</strong>: Vendor patch day');
    expect(page.html).toMatch(/<dt>Approvals<\/dt><dd>0 of 2 needed/);
    const hash = /name="seenScriptHash" value="([0-9a-f]{64})"/.exec(page.html)![1]!;
    expect((await bob.post(`/changes/${code}/approve`, { seenScriptHash: hash })).status).toBe(303);
    expect((await h.store.changes.findByCode(code))?.status).toBe('pending_approval');
    const carol = await signedIn('carol');
    await carol.page(`/changes/${code}`);
    expect((await carol.post(`/changes/${code}/approve`, { seenScriptHash: hash })).status).toBe(303);
    expect((await h.store.changes.findByCode(code))?.status).toBe('approved');
  });

  it('refuses rescheduling into the freeze unless the Emergency box is ticked', async () => {
    // Tomorrow 04:00-05:00 UTC: in the future and before the freeze whatever the time of day
    // (now + 30 h fell into the freeze when the suite ran after 18:00 UTC).
    const start = new Date(freezeDay.getTime() - 20 * HOUR);
    const change = await h.fileChange({ devices: ['web02'], windowStart: start, windowEnd: new Date(start.getTime() + HOUR) });
    const alice = await signedIn('alice');
    const edit = await alice.page(`/changes/${change.code}/edit`);
    expect(edit.html).toContain('id="r-emergency" name="emergency" value="yes">');
    const refused = await alice.post(`/changes/${change.code}/reschedule`, { ...inFreeze, reason: 'patch day' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/<p class="field-error">falls in the change freeze patch-day/);
    const moved = await alice.post(`/changes/${change.code}/reschedule`, { ...inFreeze, emergency: 'yes', reason: 'patch day' });
    expect(moved.status).toBe(303);
    expect(await h.store.changes.findByCode(change.code)).toMatchObject({ emergency: true, windowStart: new Date(freezeDay.getTime() + 10 * HOUR) });
    expect((await alice.page(`/changes/${change.code}/edit`)).html).toContain('id="r-emergency" name="emergency" value="yes" checked>');
  });

  it('lists the freezes on the policy page', async () => {
    const erin = await signedIn('erin');
    const { html } = await erin.page('/policy');
    expect(html).toMatch(new RegExp(`<td data-label="Freeze">patch-day</td>\\s*<td data-label="From">${day(freezeDay)}</td>\\s*<td data-label="To">${day(freezeDay)}</td>\\s*<td data-label="Zone">UTC</td>\\s*<td data-label="Servers">web02</td>`));
  });
});
