import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebClient } from '../../support/webClient.js';
import { FIXTURES_DIR, seedRanChange, startPortal, type PortalHarness } from '../../support/webHarness.js';

let h: PortalHarness;
afterEach(async () => h.close());

async function signedIn(user: string): Promise<WebClient> {
  const client = new WebClient(h.baseUrl);
  await client.signInLocally(user);
  return client;
}

describe('change audit and evidence', () => {
  it('aligns the plan with what ran: missing in red, extra in green, blocked apart', async () => {
    h = await startPortal();
    const code = await seedRanChange(h);
    const alice = await signedIn('alice');
    const { status, html } = await alice.page(`/changes/${code}/audit`);
    expect(status).toBe(200);
    expect(html).toMatch(/<tr class="row-missing" data-status="missing">\s*<td[^>]*>4<\/td>\s*<td[^>]*><code>nginx -t<\/code>/);
    expect(html).toMatch(/<tr class="row-extra" data-status="extra">[\s\S]*?<code>curl -sI http:\/\/localhost\/<\/code>/);
    expect(html).toMatch(/<table class="audit-table stack" id="blocked">[\s\S]*?<code>rm -rf \/var\/cache\/nginx<\/code>[\s\S]*?no-recursive-rm/);
    expect(html).toContain('incomplete so far');
    expect(html).toContain('certificate rotation as planned');
    expect(html).toContain('10.0.0.9');
  });

  it('exports the evidence pack as JSON and CSV with the chain hashes, and audits the export', async () => {
    h = await startPortal();
    const code = await seedRanChange(h);
    const erin = await signedIn('erin');
    const json = await erin.get(`/changes/${code}/evidence.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-disposition')).toBe(`attachment; filename=${code}-evidence.json`);
    const pack = (await json.json()) as {
      format: string;
      change: { code: string };
      approvals: { approver: string }[];
      sessions: { id: string; clientAddress: string }[];
      commands: { line: string; verdict: string }[];
      scriptAudit: { outcome: string; counts: { missing: number; extra: number; blocked: number } };
      auditRecords: { seq: number; hash: string; prevHash: string; eventType: string }[];
      chain: { ok: boolean; count: number };
    };
    expect(pack.format).toBe('changeguard-evidence-pack/1');
    expect(pack.change.code).toBe(code);
    expect(pack.approvals.map((a) => a.approver)).toEqual(['bob']);
    expect(pack.sessions).toMatchObject([{ id: 'sess-demo', clientAddress: '10.0.0.9' }]);
    expect(pack.commands.map((c) => c.verdict)).toEqual(['allow', 'allow', 'allow', 'block']);
    expect(pack.scriptAudit).toMatchObject({ outcome: 'incomplete', counts: { missing: 1, extra: 1, blocked: 1 } });
    expect(pack.auditRecords.map((r) => r.eventType)).toEqual(['CREATE', 'APPROVE', 'START', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE']);
    for (const record of pack.auditRecords) expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(pack.chain).toMatchObject({ ok: true });

    const csv = await erin.get(`/changes/${code}/evidence.csv`);
    const text = await csv.text();
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Section,Ref,Time,Who,What,Status,Detail,Prev hash,Hash');
    expect(lines.filter((l) => l.startsWith('script line,')).map((l) => l.split(',')[5])).toEqual(['executed', 'executed', 'missing']);
    expect(lines.some((l) => l.startsWith('command,') && l.includes('curl -sI http://localhost/,extra'))).toBe(true);
    expect(lines.find((l) => l.startsWith('chain,'))).toContain(',intact,');
    const exports = (await h.store.audit.list({ eventType: 'EXPORT', change: code })).records;
    expect(exports.map((r) => [r.actor, r.class])).toEqual([['erin', 'CHANGE'], ['erin', 'CHANGE']]);
  });
});

describe('sessions', () => {
  it('list each command with time, verdict, rule, risk and exit status', async () => {
    h = await startPortal();
    await seedRanChange(h);
    const commands = await h.store.commands.listBySession('sess-demo');
    await h.store.commands.setExitStatus(commands[0]!.id, 0);
    const bob = await signedIn('bob');
    const { html } = await bob.page('/sessions/sess-demo');
    expect(html).toMatch(/<code>rm -rf \/var\/cache\/nginx<\/code>[\s\S]*?verdict-block">block<\/span>[\s\S]*?no-recursive-rm[\s\S]*?risk-high">high/);
    expect(html).toMatch(/<code>systemctl restart nginx<\/code>[\s\S]*?data-label="Exit">0<\/td>/);
    expect(html).toContain('data-recording-url="/sessions/sess-demo/recording"');
    expect(html).toMatch(/<script src="\/assets\/vendor\/asciinema-player\/asciinema-player\.min\.js"><\/script>/);
  });

  it('serve the recording to those who may see the session, and audit each viewing', async () => {
    h = await startPortal();
    await seedRanChange(h);
    const bob = await signedIn('bob');
    const response = await bob.get('/sessions/sess-demo/recording');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(readFileSync(join(FIXTURES_DIR, 'sess-demo.cast'), 'utf8'));
    expect((await h.store.audit.list({ eventType: 'VIEW' })).records).toMatchObject([
      { actor: 'bob', class: 'SESSION', object: 'sess-demo', status: 'S', terminal: 'web 127.0.0.1' },
    ]);
    const dave = await signedIn('dave');
    expect((await dave.get('/sessions/sess-demo/recording')).status).toBe(403);
    expect((await h.store.audit.list({ eventType: 'VIEW' })).total).toBe(1);
  });

  it('let security terminate a live session and lock its user; auditors cannot', async () => {
    h = await startPortal();
    await seedRanChange(h);
    const erin = await signedIn('erin');
    const watched = await erin.page('/sessions/sess-demo');
    expect(watched.html).not.toContain('/terminate');
    expect((await erin.post('/sessions/sess-demo/terminate', { reason: 'suspicious' })).status).toBe(403);
    expect((await h.store.sessions.findById('sess-demo'))?.state).toBe('active');

    const sam = await signedIn('sam');
    await sam.page('/sessions');
    expect(sam.lastHtml).toContain('/sessions/sess-demo');
    expect(sam.lastHtml).toContain('<a href="/sessions/sess-demo#live-title">Watch live</a>');
    await sam.page('/sessions/sess-demo');
    expect(sam.lastHtml).toContain('id="watch-start"');
    expect((await sam.post('/sessions/sess-demo/terminate', { reason: 'rm -rf attempt' })).status).toBe(303);
    expect(await h.store.sessions.findById('sess-demo')).toMatchObject({ state: 'terminated', endReason: 'rm -rf attempt' });
    await sam.page('/sessions/sess-demo');
    // Over: nothing to watch live, the replay stays.
    expect(sam.lastHtml).not.toContain('id="watch-start"');
    expect(sam.lastHtml).toContain('id="replay"');
    expect((await sam.post('/sessions/sess-demo/lock-user', { reason: 'rm -rf attempt' })).status).toBe(303);
    expect(await h.store.accounts.findLock('alice')).toMatchObject({ by: 'sam', reason: 'rm -rf attempt' });
    await sam.page('/locks');
    expect(sam.lastHtml).toContain('rm -rf attempt');
    expect((await sam.post('/locks/alice/unlock')).status).toBe(303);
    expect(await h.store.accounts.findLock('alice')).toBeNull();
    expect((await h.store.audit.list({ eventType: 'TERMINATE' })).records.map((r) => [r.actor, r.status])).toEqual([['erin', 'D'], ['sam', 'S']]);
  });
});

describe('audit trail', () => {
  it('filters, pages and verifies the chain for auditors only', async () => {
    h = await startPortal();
    await seedRanChange(h);
    for (let i = 0; i < 60; i++) await h.deps.audit.record({ userId: 'system', terminal: 'test' }, { status: 'S', eventType: 'UPDATE', class: 'RULE', object: `r${i}` });
    const bob = await signedIn('bob');
    expect((await bob.page('/audit')).status).toBe(403);
    expect((await bob.get('/audit/export.csv')).status).toBe(403);

    const erin = await signedIn('erin');
    const first = await erin.page('/audit');
    expect(first.html).toContain('Chain intact:');
    expect(first.html).toMatch(/\d+ records match/);
    expect(first.html).toContain('rel="next"');
    const filtered = await erin.page('/audit?eventType=execute&status=S&actor=alice');
    expect(filtered.html).toContain('3 records match');
    expect(filtered.html).not.toContain('rel="next"');
    const byChange = await erin.page('/audit?change=chg-1&status=D');
    expect(byChange.html).toContain('1 record match');
    expect(byChange.html).toContain('no-recursive-rm');
    const today = h.clock.now().toISOString().slice(0, 10);
    expect((await erin.page(`/audit?from=${today}&to=${today}&page=2`)).status).toBe(200);
    expect((await erin.page('/audit?from=2026-11-22&to=2026-11-01')).status).toBe(400);
  });

  it('exports CSV and JSON with the same filters, and audits the export', async () => {
    h = await startPortal();
    await seedRanChange(h);
    const erin = await signedIn('erin');
    const csv = await erin.get('/audit/export.csv?eventType=EXECUTE');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename=changeguard-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('Seq,Date,Time,Status,Event type,Class,Actor,Details,Reason,Object,Terminal,Command,Flags,Change,Timestamp,Prev hash,Hash');
    // Four records, then the chain's head when exported (the export's own record): the file anchors the trail.
    expect(lines).toHaveLength(6);
    const json = (await (await erin.get('/audit/export.json?status=D')).json()) as { eventType?: string; hash?: string; anchor?: string }[];
    const [csvExport, jsonExport] = (await h.store.audit.list({ eventType: 'EXPORT' })).records;
    expect(lines[5]).toBe(`HEAD,,,,CHAIN_HEAD,,,chain head at export: record ${csvExport!.seq}; anchor ${csvExport!.seq}:${csvExport!.hash},,${csvExport!.seq},,,,,,,${csvExport!.hash}`);
    expect(json.map((r) => r.eventType ?? r.anchor)).toEqual(['EXECUTE', `${jsonExport!.seq}:${jsonExport!.hash}`]);
    expect((await h.store.audit.list({ eventType: 'EXPORT' })).records.map((r) => r.details)).toEqual([
      'audit trail as csv (eventType=EXECUTE)',
      'audit trail as json (status=D)',
    ]);
  });

  it('shows a broken chain', async () => {
    h = await startPortal();
    await h.fileChange();
    h.store.db.exec('DROP TRIGGER audit_no_update');
    h.store.db.prepare("UPDATE audit_records SET doc = json_set(doc, '$.actor', 'mallory') WHERE seq = 1").run();
    const erin = await signedIn('erin');
    const page = await erin.page('/audit?verify=now');
    expect(page.html).toContain('Chain broken');
    expect(page.html).toContain('record 1 was altered');
  });
});

describe('policy and outbox', () => {
  it('shows the policy to admins and auditors, without where credentials are kept', async () => {
    h = await startPortal();
    const ada = await signedIn('ada');
    const { status, html } = await ada.page('/policy');
    expect(status).toBe(200);
    expect(html).toContain('no-recursive-rm');
    expect(html).toContain('password from the environment');
    expect(html).not.toContain('WEB01_PASSWORD');
    expect((await (await signedIn('alice')).page('/policy')).status).toBe(403);
  });

  it('lists the outbox with delivery states, and shows a 500 page without internals when it fails', async () => {
    h = await startPortal();
    const at = new Date('2026-11-22T10:00:00Z');
    const base = { placement: { kind: 'post' as const }, payload: {}, attempts: 0, nextAttemptAt: at, createdAt: at, updatedAt: at };
    await h.store.outbox.enqueue({ ...base, id: 'n1', type: 'access.request_created', audience: 'role:approvals', text: 'CHG-1 needs <b>approval</b>', status: 'not_sent' });
    await h.store.outbox.enqueue({ ...base, id: 'n2', type: 'access.request_created', audience: 'user:bob', text: 'CHG-1 waits for you', status: 'failed', lastError: 'channel_not_found' });
    const erin = await signedIn('erin');
    const page = await erin.page('/outbox');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Slack is not configured: notifications are kept here, not sent.');
    expect(page.html).toContain('#approvals channel');
    expect(page.html).toContain('DM to bob');
    expect(page.html).toContain('CHG-1 needs &lt;b&gt;approval&lt;/b&gt;');
    const failed = await erin.page('/outbox?status=failed');
    expect(failed.html).toContain('channel_not_found');
    expect(failed.html).not.toContain('CHG-1 needs');
    expect((await (await signedIn('bob')).page('/outbox')).status).toBe(403);

    h.store.outbox.list = async () => {
      throw new Error('connection string mongodb://admin:hunter2@db');
    };
    const broken = await erin.page('/outbox');
    expect(broken.status).toBe(500);
    expect(broken.html).toContain('Incident id');
    expect(broken.html).not.toContain('hunter2');
    expect(broken.html).not.toMatch(/at .+\.(ts|js):\d+/);
  });
});
