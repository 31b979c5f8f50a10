import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { MAX_SEARCH_TERMS } from '../../../src/slack/slackPayloadCheck.js';
import { eventually } from '../../support/fakeSlackApi.js';
import { seedSessions } from '../../support/seedSessions.js';
import { SLACK, PUBLIC_URL, startSlackHarness, type SlackHarness } from '../../support/slackHarness.js';

/**
 * `/change search` through the real Bolt receiver over signed HTTP: who sees what, the
 * filters, the audit records of every search, and the refusals.
 */
const HOUR = 3600_000;
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness();
  const now = Date.now();
  const change = await registerChange(
    h.deps,
    { code: 'CHG-900', title: 'Nginx maintenance', group: 'web-ops', devices: ['web01', 'web02'], script: 'systemctl restart nginx', windowStart: new Date(now + HOUR), windowEnd: new Date(now + 3 * HOUR) },
    { userId: 'alice', terminal: 'test' },
  );
  await seedSessions(h.deps, [
    { id: 'sess-alice', changeCode: change.code, user: 'alice', device: 'web01', group: 'web-ops', lines: ['systemctl restart nginx', 'rm -rf /var/cache/nginx', 'uptime'] },
    { id: 'sess-carol', changeCode: change.code, user: 'carol', device: 'web02', group: 'web-ops', lines: ['sudo systemctl status nginx', 'cat /etc/hosts'] },
  ]);
});
afterAll(async () => h?.close());
beforeEach(() => h.fake.reset());

async function search(user: string, text: string): Promise<{ text: string; blocks: string }> {
  const id = `search-${Math.random().toString(36).slice(2)}`;
  const response = await h.command(user, text, id);
  expect(response.status).toBe(200);
  const answer = await eventually(`the answer to ${id}`, () => h.fake.responsesTo(id)[0]);
  expect(answer.body.response_type).toBe('ephemeral');
  return { text: String(answer.body.text), blocks: JSON.stringify(answer.body.blocks ?? []) };
}

/** SEARCH audit records, newest first. */
async function searchAudits() {
  return (await h.store.audit.list({ eventType: 'SEARCH', limit: 100, offset: 0 })).records.reverse();
}

describe('/change search', () => {
  it('gives an auditor every session\'s matching commands, newest first, with links and the web search', async () => {
    const answer = await search(SLACK.erin, 'search nginx');
    expect(answer.text).toBe('3 commands found');
    const order = ['sudo systemctl status nginx', 'rm -rf /var/cache/nginx', 'systemctl restart nginx'].map((line) => answer.blocks.indexOf(line));
    expect(order.every((at) => at > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(answer.blocks).not.toContain('uptime');
    expect(answer.blocks).toContain('(all sessions)');
    expect(answer.blocks).toContain(`${PUBLIC_URL}/sessions/sess-carol|session`);
    expect(answer.blocks).toContain(`${PUBLIC_URL}/changes/CHG-900|CHG-900`);
    expect(answer.blocks).toContain(`${PUBLIC_URL}/commands?q=nginx`);
    expect(answer.blocks).toContain('*block* by no-recursive-rm');
  });

  it('narrows by verdict, server and user', async () => {
    const refused = await search(SLACK.erin, 'search verdict:refused');
    expect(refused.text).toBe('1 commands found');
    expect(refused.blocks).toContain('rm -rf /var/cache/nginx');
    const onWeb02 = await search(SLACK.erin, 'search server:web02 ngi');
    expect(onWeb02.text).toBe('1 commands found');
    expect(onWeb02.blocks).toContain('sudo systemctl status nginx');
    const carol = await search(SLACK.erin, 'search user:carol');
    expect(carol.text).toBe('2 commands found');
    expect(carol.blocks).toContain('cat /etc/hosts');
  });

  it('shows a requester only their own sessions, and refuses another user\'s', async () => {
    const own = await search(SLACK.alice, 'search nginx');
    expect(own.text).toBe('2 commands found');
    expect(own.blocks).toContain('(your sessions)');
    expect(own.blocks).not.toContain('sudo systemctl status nginx');
    const before = (await searchAudits()).length;
    const refused = await search(SLACK.alice, 'search user:carol nginx');
    expect(refused.text).toBe("Alice may only search their own sessions (searching other people's needs the auditor, security or admin role)");
    const audits = await searchAudits();
    expect(audits.length).toBe(before + 1);
    expect(audits[0]).toMatchObject({ status: 'D', actor: 'alice', class: 'COMMAND', details: 'refused: text="nginx" user=carol' });
    expect((await search(SLACK.dave, 'search nginx')).text).toBe('No command matches.');
  });

  it('records every search in the audit trail with its filters', async () => {
    await search(SLACK.sam, 'search restart since:7d verdict:executed');
    const [latest] = await searchAudits();
    expect(latest).toMatchObject({ status: 'S', eventType: 'SEARCH', class: 'COMMAND', actor: 'sam', terminal: `slack ${SLACK.sam}` });
    expect(latest?.details).toMatch(/^all sessions: text="restart" verdict=executed since=\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  });

  it('explains a bad filter, an empty search and words without letters, and searches nothing', async () => {
    const before = (await searchAudits()).length;
    expect((await search(SLACK.erin, 'search since:yesterday')).text).toBe('since: expected a duration like 7d or a day like 2026-11-01, got "yesterday"');
    expect((await search(SLACK.erin, 'search verdict:maybe')).text).toBe('verdict: expected executed, refused, allow, block, interrupt, got "maybe"');
    expect((await search(SLACK.erin, 'search change:42')).text).toMatch(/^change: "42" is not a change code \(like CHG-42\)\. Usage:/);
    expect((await search(SLACK.erin, 'search')).text).toMatch(/^Usage: `\/change search <words>/);
    expect((await searchAudits()).length).toBe(before);
    expect((await search(SLACK.erin, 'search -- //')).text).toBe('Text: give words of the command (letters or digits), like "nginx restart"');
  });

  it('refuses search terms no person types at the door (400), before anything runs', async () => {
    const id = 'search-huge';
    const response = await h.command(SLACK.erin, `search ${'nginx '.repeat(MAX_SEARCH_TERMS / 5)}`, id);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(`malformed Slack request: text: search terms must be at most ${MAX_SEARCH_TERMS} characters`);
    expect(h.fake.responsesTo(id)).toEqual([]);
  });
});
