import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { summariseChange } from '../../../src/domain/notifications/catalogue.js';
import { eventually } from '../../support/fakeSlackApi.js';
import { postInteraction, postSlashCommand } from '../../support/signedSlackRequests.js';
import { SIGNING_SECRET, SLACK, startSlackHarness, type SlackHarness } from '../../support/slackHarness.js';

const HOUR = 3600_000;
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEcrPF1FNlO9q039oLdSWiej7W4J6NROyHJZgvkPOdFu alice@laptop';
const ED25519_FP = 'SHA256:GmcgAJBCHMSQ/+ypDzq7COF/IOBKFBvMN38yyJVYiWA';

let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.fake.reset();
});

async function answer(responseId: string): Promise<{ text: string; blocks: unknown }> {
  const response = await eventually(`the answer to ${responseId}`, () => h.fake.responsesTo(responseId)[0]);
  expect(response.body.response_type).toBe('ephemeral');
  return { text: String(response.body.text), blocks: response.body.blocks };
}

async function say(user: string, text: string): Promise<{ text: string; blocks: unknown }> {
  const id = `r-${Math.random().toString(36).slice(2)}`;
  const response = await h.command(user, text, id);
  expect(response.status).toBe(200);
  return answer(id);
}

async function fileChange(code: string, script = 'systemctl reload nginx', devices = ['web01']) {
  const now = Date.now();
  return registerChange(
    h.deps,
    { code, title: `Change ${code}`, group: 'web-ops', devices, script, windowStart: new Date(now + HOUR), windowEnd: new Date(now + 3 * HOUR) },
    { userId: 'alice', terminal: 'test' },
  );
}

describe('request authenticity', () => {
  it('rejects a bad signature with 401 and runs nothing', async () => {
    const response = await postSlashCommand(h.eventsUrl, { text: 'list', user_id: SLACK.alice, response_url: h.fake.responseUrl('forged') }, { secret: SIGNING_SECRET, signWith: 'not-the-secret' });
    expect(response.status).toBe(401);
    const unsigned = await fetch(h.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=%2Fchange&text=list' });
    expect(unsigned.status).toBe(401);
    expect(h.fake.responses).toEqual([]);
  });

  it('rejects a correctly signed request replayed with an old timestamp', async () => {
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    await fileChange('CHG-400');
    const change = await h.store.changes.findByCode('CHG-400');
    const payload = {
      type: 'block_actions',
      user: { id: SLACK.bob, username: 'bob' },
      team: { id: 'T01TEAM', domain: 'example' },
      api_app_id: 'A01APP',
      token: 'legacy',
      trigger_id: 't',
      response_url: h.fake.responseUrl('replayed'),
      actions: [{ type: 'button', action_id: 'change_approve', block_id: 'change_review', value: JSON.stringify({ code: 'CHG-400', scriptHash: change?.scriptHash }), action_ts: '1' }],
    };
    const replayed = await postInteraction(h.eventsUrl, payload, { secret: SIGNING_SECRET, timestamp: sixMinutesAgo });
    expect(replayed.status).toBe(401);
    expect((await h.store.changes.findByCode('CHG-400'))?.status).toBe('pending_approval');
    // The same click, fresh, is accepted: only the timestamp made the difference.
    const fresh = await postInteraction(h.eventsUrl, payload, { secret: SIGNING_SECRET });
    expect(fresh.status).toBe(200);
    await answer('replayed');
    expect((await h.store.changes.findByCode('CHG-400'))?.status).toBe('approved');
  });
});

describe('/change', () => {
  it('answers users without a policy mapping with one ephemeral line', async () => {
    const { text } = await say(SLACK.stranger, 'list');
    expect(text).toMatch(/^Your Slack account is not linked to a changeguard user/);
    expect(text.split('\n')).toHaveLength(1);
  });

  it('helps, and names an unknown subcommand', async () => {
    expect((await say(SLACK.alice, '')).text).toContain('/change new');
    expect((await say(SLACK.alice, 'help')).text).toContain('/change key add <ssh public key>');
    expect((await say(SLACK.alice, 'frobnicate <!here>')).text).toBe('Unknown subcommand "frobnicate". Try `/change help`.');
  });

  it('shows a change to its stakeholders only, and says so for unknown codes', async () => {
    await fileChange('CHG-401');
    const shown = await say(SLACK.bob, 'show chg-401');
    expect(shown.text).toBe('CHG-401: Change CHG-401');
    expect(JSON.stringify(shown.blocks)).toContain('https://changeguard.example/approve/');
    expect(JSON.stringify((await say(SLACK.alice, 'show CHG-401')).blocks)).not.toContain('/approve/');
    expect((await say(SLACK.dave, 'show CHG-401')).text).toBe('CHG-401 belongs to group web-ops, which you are not part of');
    expect((await say(SLACK.alice, 'show CHG-999')).text).toBe('No change CHG-999');
    expect((await say(SLACK.alice, 'show')).text).toBe('Usage: `/change show CHG-42`');
  });

  it('lists my open changes and those waiting for my approval', async () => {
    await fileChange('CHG-402');
    const mine = await say(SLACK.alice, 'list');
    expect(JSON.stringify(mine.blocks)).toContain('CHG-402');
    const bobs = await say(SLACK.bob, 'list');
    expect(JSON.stringify(bobs.blocks)).toMatch(/Waiting for my approval\*\\n• <[^>]+\|CHG-40[0-9]>/);
  });

  it('cancels only the requester’s own change', async () => {
    await fileChange('CHG-403');
    expect((await say(SLACK.bob, 'cancel CHG-403')).text).toBe('Only alice, who filed CHG-403, can cancel it');
    expect((await say(SLACK.alice, 'cancel CHG-403 plans changed')).text).toBe('CHG-403 is cancelled.');
    expect(await h.store.changes.findByCode('CHG-403')).toMatchObject({ status: 'cancelled', cancellation: { by: 'alice', reason: 'plans changed' } });
  });

  it('validates a script against the rules, per server', async () => {
    await fileChange('CHG-404', '# cleanup\nrm -rf /var/cache/app\nsystemctl reload nginx\nsudo reboot', ['web01', 'web02']);
    const result = await say(SLACK.alice, 'validate CHG-404');
    expect(result.text).toBe('CHG-404: 2 script lines would be stopped');
    const text = JSON.stringify(result.blocks);
    expect(text).toContain('line 2 `rm -rf /var/cache/app` on web01, web02: *blocked* by no-recursive-rm');
    expect(text).toContain('line 4 `sudo reboot` on web01, web02: *interrupt (session cut at attempt 3)* by no-shutdown');
    await fileChange('CHG-405', 'uptime');
    expect(JSON.stringify((await say(SLACK.alice, 'validate CHG-405')).blocks)).toContain('No line would be blocked or interrupted');
  });

  it('summarises a change audit for an auditor', async () => {
    await fileChange('CHG-406', 'uptime\ndf -h');
    const result = await say(SLACK.erin, 'audit CHG-406');
    expect(result.text).toBe('CHG-406: not_started');
    const text = JSON.stringify(result.blocks);
    expect(text).toContain('*Planned lines:* 2 · *executed:* 0 · *missing:* 2 · *extra:* 0 · *blocked:* 0');
    expect(text).toContain('https://changeguard.example/changes/CHG-406/audit');
  });

  it('manages scheduled reports for auditors, with errors on the field', async () => {
    expect((await say(SLACK.alice, 'report schedule list')).text).toMatch(/^Alice may not manage scheduled reports/);
    expect((await say(SLACK.erin, 'report schedule list')).text).toBe('No scheduled reports.');
    expect((await say(SLACK.erin, 'report schedule add id=ops period=weekly cron="0 8 * * 1" tz=UTC')).text).toBe('Scheduled report *ops* created.');
    expect((await say(SLACK.erin, 'report schedule add id=bad period=hourly cron="0 8 * * 1"')).text).toBe('Period: expected daily or weekly');
    expect((await say(SLACK.erin, 'report schedule add id=x colour=red')).text).toMatch(/^unknown setting "colour"/);
    expect((await say(SLACK.erin, 'report schedule update ops cron="30 7 * * *"')).text).toBe('Scheduled report *ops* updated.');
    expect((await say(SLACK.erin, 'report schedule list')).text).toMatch(/^• \*ops\*: weekly report, `30 7 \* \* \*` \(UTC\), next \d{4}-/);
    expect((await say(SLACK.erin, 'report schedule remove ops')).text).toBe('Scheduled report *ops* removed.');
    expect((await h.store.audit.list({ eventType: 'DELETE' })).records.some((r) => r.class === 'REPORT_SCHEDULE' && r.object === 'ops')).toBe(true);
  });

  it('reports a period to auditors and refuses others', async () => {
    expect((await say(SLACK.alice, 'report')).text).toBe('Report needs one of the roles auditor, security, admin');
    expect((await say(SLACK.erin, 'report --since yesterday')).text).toMatch(/^--since: expected a duration like 7d/);
    const report = await say(SLACK.erin, 'report --since 1d');
    expect(report.text).toMatch(/^Report: \d+ changes, 0 blocked commands$/);
    // The scheduled reports' template: one wording for both, with the chain's head to keep.
    expect(JSON.stringify(report.blocks)).toContain(':white_check_mark: *Audit chain intact*');
    expect(JSON.stringify(report.blocks)).toMatch(/Head `\d+:[0-9a-f]{64}`/);
    const denied = await h.store.audit.list({ eventType: 'REPORT', status: 'D' });
    expect(denied.records.map((r) => r.actor)).toEqual(['alice']);
  });

  it('registers, lists and removes SSH keys', async () => {
    expect((await say(SLACK.alice, `key add ${ED25519}`)).text).toBe(`Key \`${ED25519_FP}\` registered: you can use it for proxy sessions.`);
    expect((await say(SLACK.bob, `key add ${ED25519}`)).text).toBe(`The key ${ED25519_FP} is registered already`);
    expect((await say(SLACK.alice, 'key add -----BEGIN OPENSSH PRIVATE KEY-----')).text).toMatch(/^Key: is a PRIVATE key/);
    expect(JSON.stringify((await say(SLACK.alice, 'key list')).blocks)).toContain(ED25519_FP);
    expect((await say(SLACK.alice, `key remove ${ED25519_FP}`)).text).toBe(`Key \`${ED25519_FP}\` removed.`);
    expect((await say(SLACK.alice, 'key')).text).toMatch(/^Usage: `\/change key add/);
  });
});

describe('security alerts', () => {
  it('carry Terminate session / Lock user buttons that only the security role may use', async () => {
    const change = await fileChange('CHG-407');
    await approveChange(h.deps, 'CHG-407', { userId: 'bob', terminal: 'test' });
    await h.store.sessions.create({
      id: 'sess-407',
      changeCode: 'CHG-407',
      user: 'alice',
      device: 'web01',
      kind: 'shell',
      justification: 'reload',
      clientAddress: '10.0.0.9',
      startedAt: new Date(),
      state: 'active',
    });
    await h.notifications.notifier.notify({
      type: 'command.block',
      audience: [{ role: 'security' }],
      data: {
        change: summariseChange(change),
        session: { id: 'sess-407', user: 'alice', device: 'web01', clientAddress: '10.0.0.9' },
        command: { line: 'rm -rf /', verdict: 'block', rules: ['no-recursive-rm'], risk: 'high' },
      },
    });
    const alert = await eventually('the alert in the security channel', () => h.fake.callsTo('chat.postMessage').find((c) => c.args.channel === 'C01SECURITY'));
    const actions = (alert.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions');
    const terminate = actions?.elements?.find((e) => e.action_id === 'session_terminate');
    const lock = actions?.elements?.find((e) => e.action_id === 'user_lock');
    expect(terminate && lock).toBeTruthy();

    await h.click(SLACK.bob, 'session_terminate', terminate!.value, 'bob-terminates');
    expect((await answer('bob-terminates')).text).toBe('Terminate needs the security role');
    expect((await h.store.sessions.findById('sess-407'))?.state).toBe('active');

    await h.click(SLACK.sam, 'session_terminate', terminate!.value, 'sam-terminates');
    expect((await answer('sam-terminates')).text).toBe('Session sess-407 of alice on web01 is terminated.');
    expect(await h.store.sessions.findById('sess-407')).toMatchObject({ state: 'terminated', endReason: 'terminated from Slack by sam' });

    await h.click(SLACK.sam, 'user_lock', lock!.value, 'sam-locks');
    expect((await answer('sam-locks')).text).toBe('alice is locked out of the proxy; live sessions are being cut.');
    expect(await h.store.accounts.findLock('alice')).toMatchObject({ by: 'sam' });
    const announced = await eventually('the lock announcement', () =>
      h.fake.callsTo('chat.postMessage').find((c) => c.args.channel === 'C01SECURITY' && String(c.args.text).startsWith('Account locked')),
    );
    expect(announced.args.text).toBe('Account locked: Alice: locked from Slack by sam');
    await h.store.accounts.unlock('alice');
  });
});

describe('App Home', () => {
  it('shows my changes, approvals waiting for me, and recent alerts to security', async () => {
    await fileChange('CHG-408');
    await h.event({ type: 'app_home_opened', user: SLACK.bob, tab: 'home', channel: 'D01BOB' });
    const bobs = await eventually('Bob’s home', () => h.fake.callsTo('views.publish').find((c) => c.args.user_id === SLACK.bob));
    const bobView = JSON.stringify(bobs.args.view);
    expect(bobView).toContain('CHG-408');
    expect(bobView).not.toContain('Recent security alerts');

    await h.event({ type: 'app_home_opened', user: SLACK.sam, tab: 'home', channel: 'D01SAM' });
    const sams = await eventually('Sam’s home', () => h.fake.callsTo('views.publish').find((c) => c.args.user_id === SLACK.sam));
    expect(JSON.stringify(sams.args.view)).toContain('Recent security alerts');
  });
});
