import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKTEST_DRAFT_YAML, BACKTEST_POLICY_YAML, seedBacktestHistory } from '../../support/backtestFixture.js';
import { WebClient } from '../../support/webClient.js';
import { startPortal, type PortalHarness } from '../../support/webHarness.js';

/** /policy/backtest over HTTP on the real portal. */
let h: PortalHarness;
const dayOf = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
// Yesterday to tomorrow (UTC, the policy's zone): the seeded commands, whenever the test runs.
const from = dayOf(-1);
const to = dayOf(1);

beforeAll(async () => {
  h = await startPortal();
  await seedBacktestHistory(h.deps, h.clock);
});
afterAll(async () => h?.close());

async function signedIn(user: string): Promise<WebClient> {
  const client = new WebClient(h.baseUrl);
  await client.signInLocally(user);
  return client;
}

async function run(client: WebClient, policy: string, fields: Record<string, string> = {}): Promise<{ status: number; html: string }> {
  await client.page('/policy/backtest');
  const response = await client.post('/policy/backtest', { policy, name: 'draft.yml', from, to, ...fields });
  const html = await response.text();
  client.lastHtml = html;
  return { status: response.status, html };
}

const decode = (html: string) => html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&#x3D;/g, '=').replace(/&#x2F;/g, '/').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('policy backtest on the web', () => {
  it('judges the recorded commands under a pasted draft and shows the changes by rule, user and server', async () => {
    const erin = await signedIn('erin');
    const form = await erin.page('/policy/backtest');
    expect(form.status).toBe(200);
    expect(form.html).toContain('<a href="/policy/backtest" aria-current="page"');
    const { status, html } = await run(erin, BACKTEST_DRAFT_YAML);
    expect(status).toBe(200);
    const text = decode(html);
    expect(text).toContain('<strong>12</strong> recorded commands judged under draft.yml (4 rules)');
    expect(text).toContain('2 newly blocked</span>');
    expect(text).toContain('2 newly allowed</span>');
    expect(text).toContain('2 changed</span>');
    expect(text).toContain('6 unchanged</span>');
    expect(text).toContain('1 session would have been cut by an interrupt rule.');
    const byRule = /<section class="panel" id="by-rule">([\s\S]*?)<\/section>/.exec(text)?.[1] ?? '';
    expect([...byRule.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1])).toEqual(['no-shutdown', 'no-uptime', '(opaque)', 'no-recursive-rm']);
    expect(/<section class="panel" id="by-device">[\s\S]*?<code>web01<\/code><\/td><td class="num" data-label="Newly blocked">1<\/td><td class="num" data-label="Newly allowed">2<\/td><td class="num" data-label="Changed">2<\/td>/.test(text)).toBe(true);
    expect(text).toContain('<code class="command-line">rm -rf /tmp/x</code>');
    expect(text).toContain('<a href="/sessions/sess-1">session</a>');
    // The draft stays in the form to try again; nothing of it was stored.
    expect(text).toContain('no-uptime, command: [uptime]');
    expect((await h.store.policy.load()).rules.map((r) => r.id)).toEqual(['no-recursive-rm', 'no-shutdown', 'apache-stop', 'no-dump']);
  });

  it('says so when nothing would change, and records each run in the audit trail', async () => {
    const sam = await signedIn('sam');
    const { status, html } = await run(sam, BACKTEST_POLICY_YAML);
    expect(status).toBe(200);
    expect(html).toContain('No verdict would change.');
    const records = (await h.store.audit.list({ eventType: 'BACKTEST', actor: 'sam', limit: 5, offset: 0 })).records;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 'S', class: 'POLICY', object: 'draft.yml' });
    expect(records[0]?.terminal).toMatch(/^web /);
  });

  it('shows a bad draft\'s located errors and keeps the text (400)', async () => {
    const ada = await signedIn('ada');
    const { status, html } = await run(ada, BACKTEST_DRAFT_YAML.replace('action: block, scope: { users', 'action: deny, scope: { users'));
    expect(status).toBe(400);
    expect(decode(html)).toContain('<li><code>draft.yml: rules[3].action: expected allow|block|interrupt|force|review, got "deny" (line 6)</code></li>');
    const days = await run(ada, BACKTEST_DRAFT_YAML, { from: '2026-03-02', to: '2026-03-01' });
    expect(days.status).toBe(400);
    expect(days.html).toContain('must not be before from');
  });

  it('is for auditors, security and admins only', async () => {
    const alice = await signedIn('alice');
    const { status, html } = await alice.page('/policy/backtest');
    expect(status).toBe(403);
    expect(html).toContain('alice may not backtest a draft policy (auditor, security or admin role)');
    expect(html).not.toContain('href="/policy/backtest"');
    const refused = await alice.post('/policy/backtest', { _csrf: alice.csrfToken() ?? '', policy: BACKTEST_DRAFT_YAML, from, to });
    expect(refused.status).toBe(403);
    expect((await h.store.audit.list({ eventType: 'BACKTEST', actor: 'alice', limit: 5, offset: 0 })).records.map((r) => r.status)).toEqual(['D']);
  });
});
