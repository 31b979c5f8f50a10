import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/domain/session/session.js';
import { startChange } from '../../../src/services/changes/changeWindow.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { createServiceDeps } from '../../../src/services/serviceDeps.js';
import { judgePromptCommand } from '../../../src/services/sessions/judgeCommand.js';
import type { SessionJudgement } from '../../../src/services/sessions/judgeSessionLine.js';
import { newLiveSession } from '../../../src/services/sessions/liveSession.js';
import { reviewSessionLine } from '../../../src/services/sessions/reviewSessionLine.js';
import { SessionAlerts } from '../../../src/services/sessions/sessionAlerts.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { buildRule } from '../../support/factories.js';
import { eventually } from '../../support/fakeSlackApi.js';
import { startFakeSlackOpenId, type FakeSlackOpenId } from '../../support/fakeSlackOpenId.js';
import { RecordingNotifier } from '../../support/recordingNotifier.js';
import { sharedParser } from '../../support/sharedParser.js';
import { portalPolicy, startPortal, type PortalHarness } from '../../support/webHarness.js';

/**
 * Deviation approval on the web, in Debian's chromium: a command held for review (waiting, as
 * the proxy waits, on another connection to the store) is shown on the change's page; the
 * requester gets no buttons, an approver's Allow once lets it run, and the change audit shows
 * it as an approved deviation. The proxy's own path is deviationApproval.integration.test.ts.
 */

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-output', 'web');

let browser: Browser;
let slack: FakeSlackOpenId;
let h: PortalHarness;
let proxySide: SqliteStore;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\``);
  mkdirSync(SHOTS, { recursive: true });
  slack = await startFakeSlackOpenId();
  const base = portalPolicy();
  h = await startPortal({
    policy: { ...base, rules: [...base.rules, buildRule({ id: 'review-systemctl', command: ['systemctl'], action: 'review', risk: 'medium' })] },
    web: { slackConfigured: true, slackSignIn: { clientId: slack.clientId, clientSecret: slack.clientSecret, apiUrl: slack.apiUrl, authorizeUrl: slack.authorizeUrl } },
  });
  proxySide = SqliteStore.open(h.sqliteFile);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
});

afterAll(async () => {
  await browser?.close();
  await proxySide?.close();
  await h?.close();
  await slack?.close();
});

async function pageAs(slackUser: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  slack.signInAs = slackUser;
  await page.goto(`${h.baseUrl}/approvals`);
  await page.getByRole('link', { name: 'Sign in with Slack' }).click();
  await page.waitForURL(`${h.baseUrl}/approvals`);
  return page;
}

describe('deviation approval on the web', () => {
  it('shows the held command, lets an approver allow it once, and the change audit calls it an approved deviation', async () => {
    const now = h.clock.now().getTime();
    const change = await h.fileChange({ title: 'Restart nginx', script: 'systemctl reload nginx', windowStart: new Date(now - 5 * 60_000), windowEnd: new Date(now + 2 * 3600_000) });
    await approveChange(h.deps, change.code, { userId: 'carol', terminal: 'slack' });
    const session: Session = { id: 'sess-web-deviation', changeCode: change.code, user: 'alice', device: 'web01', kind: 'shell', justification: 'reload', clientAddress: '10.0.0.9', startedAt: h.clock.now(), state: 'active' };
    await h.store.sessions.create(session);
    const started = (await startChange(h.deps, change.code, { userId: 'alice', terminal: 'proxy 10.0.0.9' })) ?? change;

    // The waiting side, as the proxy process would hold it: its own connection to the store.
    const proxyDeps = createServiceDeps({ store: proxySide, clock: h.clock.now, parser: await sharedParser(), policyMaxAgeMs: 0 });
    const live = newLiveSession({ session, group: 'web-ops', interruptAttempts: new Map() }, started);
    const review = await judgePromptCommand(proxyDeps, live.scope, 'systemctl restart nginx');
    expect(review.verdict).toBe('review');
    if (review.verdict !== 'review') return;
    let outcome: SessionJudgement | undefined;
    const waiting = reviewSessionLine(proxyDeps, new SessionAlerts(new RecordingNotifier()), live, review, { timeoutMs: 600_000, cancel: new AbortController().signal, pollMs: 50 }).then((j) => (outcome = j));
    const request = await eventually('the request stored', async () => (await h.store.deviations.listByChange(change.code))[0]);

    // alice typed it: she sees it waiting, without buttons.
    const alice = await pageAs('U01ALICE');
    await alice.goto(`${h.baseUrl}/changes/${change.code}`);
    const aliceRow = alice.locator(`#deviations tr[data-deviation="${request.id}"]`);
    await expect(aliceRow.textContent()).resolves.toContain('systemctl restart nginx');
    await expect(aliceRow.getAttribute('data-status')).resolves.toBe('pending');
    expect(await aliceRow.getByRole('button', { name: 'Allow once' }).count()).toBe(0);

    const bob = await pageAs('U01BOB');
    await bob.goto(`${h.baseUrl}/changes/${change.code}`);
    const row = bob.locator(`#deviations tr[data-deviation="${request.id}"]`);
    await expect(row.textContent()).resolves.toContain('waiting until');
    await bob.screenshot({ path: join(SHOTS, 'deviation-waiting.png'), fullPage: true });
    expect(outcome).toBeUndefined();
    await row.getByRole('button', { name: 'Allow once' }).click();
    await bob.waitForURL(/\?done=deviationAllowed$/).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${bob.url()}\n${(await bob.locator('main').textContent())?.slice(0, 1500)}`);
    });
    await expect(bob.locator('body').textContent()).resolves.toContain('The command is allowed once');
    await expect(bob.locator(`#deviations tr[data-deviation="${request.id}"]`).getAttribute('data-status')).resolves.toBe('allowed');

    await waiting;
    expect(outcome).toMatchObject({ verdict: 'allow', record: { reason: 'approved deviation: allowed once by bob' } });

    await bob.goto(`${h.baseUrl}/changes/${change.code}/audit`);
    const executed = bob.locator('#executed tr[data-status="deviation"]');
    await expect(executed.count()).resolves.toBe(1);
    await expect(executed.textContent()).resolves.toContain('approved deviation');
    await expect(executed.textContent()).resolves.toContain('allowed once by bob');
    await expect(bob.locator('.count-deviation').textContent()).resolves.toBe('1 approved deviation');
    await bob.screenshot({ path: join(SHOTS, 'deviation-audit.png'), fullPage: true });
    await bob.context().close();
    await alice.context().close();
  }, 90_000);
});
