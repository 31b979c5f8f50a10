import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSessions } from '../../support/seedSessions.js';
import { WebClient } from '../../support/webClient.js';
import { startPortal, type PortalHarness } from '../../support/webHarness.js';

/** /commands over HTTP on the real portal: who sees what, the filters, pages and refusals. */
let h: PortalHarness;
let code: string;

beforeAll(async () => {
  h = await startPortal();
  code = (await h.fileChange({ devices: ['web01', 'web02'] })).code;
  const lines = Array.from({ length: 55 }, (_, i) => `systemctl status app-${i}`);
  await seedSessions(h.deps, [
    { id: 'sess-a', changeCode: code, user: 'alice', device: 'web01', group: 'web-ops', lines: ['systemctl restart nginx', 'rm -rf /srv/old', ...lines] },
    { id: 'sess-b', changeCode: code, user: 'bob', device: 'web02', group: 'web-ops', lines: ['journalctl -u nginx --since today'] },
  ]);
});
afterAll(async () => h?.close());

async function signedIn(user: string): Promise<WebClient> {
  const client = new WebClient(h.baseUrl);
  await client.signInLocally(user);
  return client;
}

/** The command lines of the results table, in order. */
function linesOf(html: string): string[] {
  const table = /<table class="audit-table commands-found stack" id="search-results">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<code class="command-line">([^<]*)<\/code>/g)].map((m) => m[1]!.replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '='));
}

describe('command search on the web', () => {
  it('finds an auditor every session\'s commands by words, newest first, linked to change and session', async () => {
    const erin = await signedIn('erin');
    const { status, html } = await erin.page('/commands?q=nginx');
    expect(status).toBe(200);
    expect(linesOf(html)).toEqual(['journalctl -u nginx --since today', 'systemctl restart nginx']);
    expect(html).toContain('The commands of every session.');
    expect(html).toContain(`<a href="/changes/${code}">${code}</a>`);
    expect(html).toContain('<a href="/sessions/sess-b">sess-b</a>');
    expect(html).toContain('<a href="/commands"');
  });

  it('filters by verdict, user, server and change, and pages through 50 at a time', async () => {
    const erin = await signedIn('erin');
    expect(linesOf((await erin.page('/commands?verdict=refused')).html)).toEqual(['rm -rf /srv/old']);
    expect(linesOf((await erin.page('/commands?user=bob')).html)).toEqual(['journalctl -u nginx --since today']);
    expect(linesOf((await erin.page(`/commands?device=web02&change=${code.toLowerCase()}`)).html)).toEqual(['journalctl -u nginx --since today']);
    const first = await erin.page('/commands?q=status');
    expect(linesOf(first.html)).toHaveLength(50);
    expect(linesOf(first.html)[0]).toBe('systemctl status app-54');
    expect(first.html).toContain('href="/commands?q&#x3D;status&amp;page&#x3D;2" rel="next"');
    const second = await erin.page('/commands?q=status&page=2');
    expect(linesOf(second.html)).toEqual(['systemctl status app-4', 'systemctl status app-3', 'systemctl status app-2', 'systemctl status app-1', 'systemctl status app-0']);
    const today = new Date().toISOString().slice(0, 10);
    expect(linesOf((await erin.page(`/commands?q=nginx&from=${today}&to=${today}`)).html)).toHaveLength(2);
    expect((await erin.page('/commands?q=nginx&from=2020-01-01&to=2020-01-02')).html).toContain('No command matches.');
  });

  it('shows a requester only their own sessions and refuses someone else\'s (403, audited)', async () => {
    const alice = await signedIn('alice');
    const own = await alice.page('/commands?q=nginx');
    expect(linesOf(own.html)).toEqual(['systemctl restart nginx']);
    expect(own.html).toContain('The commands of your own sessions.');
    expect(own.html).not.toContain('name="user"');
    const refused = await alice.page('/commands?user=bob');
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('alice may only search their own sessions');
    const audits = (await h.store.audit.list({ eventType: 'SEARCH', actor: 'alice', limit: 10, offset: 0 })).records;
    expect(audits.map((r) => [r.status, r.details])).toEqual([
      ['S', 'own sessions: text="nginx"'],
      ['D', 'refused: user=bob'],
    ]);
    expect(audits[0]?.terminal).toMatch(/^web /);
  });

  it('refuses malformed filters with a 400 naming the parameter, and searches nothing', async () => {
    const erin = await signedIn('erin');
    const before = (await h.store.audit.list({ eventType: 'SEARCH', limit: 1, offset: 0 })).total;
    const cases: [string, string][] = [
      ['/commands?verdict=maybe', 'query parameter verdict: expected executed|refused|allow|block|interrupt, got &quot;maybe&quot;'],
      ['/commands?change=42', 'query parameter change: expected a change code such as CHG-42'],
      ['/commands?from=2026-02-30', 'query parameter from: 2026-02-30 is not a real date'],
      ['/commands?from=2026-03-02&to=2026-03-01', 'query parameter to: must not be before from'],
      ['/commands?user[$ne]=x', 'unknown query parameter &quot;user[$ne]&quot;'],
      ['/commands?q=a&q=b', 'query parameter q: expected string'],
      [`/commands?q=${'x'.repeat(201)}`, 'query parameter q: must be at most 200 characters'],
    ];
    for (const [path, message] of cases) {
      const { status, html } = await erin.page(path);
      expect(status, path).toBe(400);
      expect(html, path).toContain(message);
    }
    expect((await h.store.audit.list({ eventType: 'SEARCH', limit: 1, offset: 0 })).total).toBe(before);
  });
});
