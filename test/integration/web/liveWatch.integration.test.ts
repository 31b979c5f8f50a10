import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { ApprovalLinks } from '../../../src/services/links/approvalLinks.js';
import { createServiceDeps, type ServiceDeps } from '../../../src/services/serviceDeps.js';
import { FileRecordingStore } from '../../../src/store/files/fileRecordingStore.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { createWebApp } from '../../../src/web/webApp.js';
import { freePort } from '../../support/freePort.js';
import { startProxyHarness, TestTerminal, type ProxyHarness } from '../../support/proxyHarness.js';
import { sharedParser } from '../../support/sharedParser.js';

/**
 * Live watch end to end: alice types through the real proxy to a real sshd; security and an
 * auditor watch her session in chromium as it happens, read from what the proxy stored (the
 * portal has its own store connection and recording store, as another process would), and
 * security's Terminate ends the SSH session.
 */
// The few browser globals the page functions below use (the project compiles without DOM types).
declare const window: Record<string, unknown>;

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-output', 'web');

let h: ProxyHarness;
let portalStore: SqliteStore;
let portalDeps: ServiceDeps;
let server: Server;
let baseUrl: string;
let browser: Browser;
const cspViolations: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\``);
  }
  mkdirSync(SHOTS, { recursive: true });
  h = await startProxyHarness();
  // The portal shares nothing with the proxy but the database file and the recordings directory.
  portalStore = SqliteStore.open(join(h.dir, 'changeguard.db'));
  const deps = (portalDeps = createServiceDeps({ store: portalStore, clock: h.clock.now, parser: await sharedParser(), policyMaxAgeMs: 0 }));
  const secret = randomBytes(32);
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const app = createWebApp({
    deps,
    logger: createLogger(process.env.WEB_TEST_LOG ?? 'silent'),
    publicUrl: baseUrl,
    bind: '127.0.0.1',
    secret,
    approvalLinks: new ApprovalLinks(secret, baseUrl),
    slackConfigured: false,
    recordings: new FileRecordingStore(join(h.dir, 'recordings')),
    rateLimits: { signIn: { limit: 1000, windowMs: 60_000 }, decisions: { limit: 1000, windowMs: 60_000 } },
  });
  server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await portalStore?.close();
  await h?.stop();
});

/** The loopback picker (no Slack, no passwords in this policy). */
async function signedInAs(user: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${user} ${page.url()}: ${message.text()}`);
  });
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(`${baseUrl}/signin`);
  await page.locator('#user').selectOption(user);
  await page.getByRole('button', { name: 'Sign in locally' }).click();
  await page.waitForURL(`${baseUrl}/`);
  return { context, page };
}

/** What the watcher's terminal shows, read from xterm.js's rendered rows. */
function screenText(page: Page): Promise<string> {
  return page.locator('#live .xterm-rows').innerText();
}

async function startWatching(page: Page, sessionId: string): Promise<void> {
  await page.goto(`${baseUrl}/sessions/${sessionId}`);
  await page.getByRole('button', { name: 'Watch live' }).click();
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 15_000 });
  // Set once: still there at the end proves the page never reloaded.
  await page.evaluate(() => {
    window.watchMarker = 'same page';
  });
}

async function watchRecords() {
  return (await portalStore.audit.list({ eventType: 'WATCH' })).records;
}

describe('watching a live session in the browser', () => {
  it('shows what alice types and runs as it happens, and security terminates it from the page', { timeout: 120_000 }, async () => {
    const change = await h.approvedChange();
    const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
    await term.justify('rotate the certificate');
    const [session] = await h.store.sessions.listByChange(change.code);
    const sam = await signedInAs('sam');
    const erin = await signedInAs('erin');
    try {
      await startWatching(sam.page, session!.id);
      await startWatching(erin.page, session!.id);
      // What was on alice's screen before the watch opened is there at once.
      await expect.poll(() => screenText(sam.page), { timeout: 15_000 }).toMatch(/alice@web01:\S*\$/);
      // The device computes the number: it can only have come from the real shell's output.
      term.type('echo live-$((6*7))-marker\r');
      await term.waitForText('live-42-marker');
      await expect.poll(() => screenText(sam.page), { timeout: 15_000 }).toContain('live-42-marker');
      await expect.poll(() => screenText(erin.page), { timeout: 15_000 }).toContain('live-42-marker');
      expect(await sam.page.evaluate(() => window.watchMarker)).toBe('same page');
      await sam.page.screenshot({ path: join(SHOTS, 'live-watch-1280.png'), fullPage: true });

      // Read-only: keys pressed in the watcher's terminal reach nothing.
      await sam.page.locator('#live').click();
      await sam.page.keyboard.type('echo from-the-watcher\n');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(term.text()).not.toContain('from-the-watcher');
      expect(await h.store.commands.listBySession(session!.id)).not.toContainEqual(expect.objectContaining({ line: expect.stringContaining('from-the-watcher') }));

      // An auditor watches but has no Terminate; security has both controls at hand.
      await expect(erin.page.getByRole('button', { name: 'Terminate session' }).count()).resolves.toBe(0);
      await expect(sam.page.getByRole('button', { name: 'Lock alice' }).count()).resolves.toBe(1);
      await sam.page.locator('#terminate-reason').fill('watched it go wrong');
      await sam.page.getByRole('button', { name: 'Terminate session' }).click();
      await sam.page.waitForURL(`${baseUrl}/sessions/${session!.id}?done=terminated`);

      // The proxy cuts the SSH session; the auditor still watching sees the end, live.
      await term.waitForClose();
      expect(term.text()).toContain('session terminated: watched it go wrong');
      expect(await h.store.sessions.findById(session!.id)).toMatchObject({ state: 'terminated', endReason: 'watched it go wrong' });
      await erin.page.locator('#live[data-state="ended"]').waitFor({ timeout: 15_000 });
      await expect(erin.page.locator('#live-status').textContent()).resolves.toBe('Ended: the session terminated: watched it go wrong. Reload the page for the replay.');
      await expect.poll(() => screenText(erin.page)).toContain('session terminated: watched it go wrong');
      expect(await erin.page.evaluate(() => window.watchMarker)).toBe('same page');
      await erin.page.screenshot({ path: join(SHOTS, 'live-watch-ended-1280.png'), fullPage: true });

      // Both watches, opened and ended, are in the tamper-evident trail.
      await expect.poll(async () => (await watchRecords()).filter((r) => r.object === session!.id).length, { timeout: 10_000 }).toBe(4);
      const records = (await watchRecords()).filter((r) => r.object === session!.id);
      expect(records.map((r) => [r.actor, r.status, r.details?.replace(/after \d+ s/, 'after N s')]).sort()).toEqual(
        [
          ['erin', 'S', "started watching alice's live session on web01"],
          ['erin', 'S', "stopped watching alice's live session on web01 after N s: the session terminated: watched it go wrong"],
          ['sam', 'S', "started watching alice's live session on web01"],
          ['sam', 'S', "stopped watching alice's live session on web01 after N s: the watcher left"],
        ].sort(),
      );
      expect(records.every((r) => r.terminal?.startsWith('web ') && r.change === change.code)).toBe(true);
      expect((await portalDeps.audit.verify()).ok).toBe(true);

      // The auditor finds them on the audit trail page.
      await erin.page.goto(`${baseUrl}/audit?eventType=WATCH`);
      await expect(erin.page.locator('main').innerText()).resolves.toContain("started watching alice's live session on web01");
      expect(cspViolations).toEqual([]);
    } finally {
      term.close();
      await sam.context.close();
      await erin.context.close();
    }
  });

  it('refuses people who may not watch with a 403, on record, and offers them no button', { timeout: 60_000 }, async () => {
    const change = await h.approvedChange();
    const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
    await term.justify();
    const [session] = await h.store.sessions.listByChange(change.code);
    const alice = await signedInAs('alice');
    try {
      // alice sees her own session's page, but watching is for the roles that see every session.
      await alice.page.goto(`${baseUrl}/sessions/${session!.id}`);
      await expect(alice.page.getByRole('button', { name: 'Watch live' }).count()).resolves.toBe(0);
      const response = await alice.page.goto(`${baseUrl}/sessions/${session!.id}/live`);
      expect(response?.status()).toBe(403);
      await expect(alice.page.locator('main').innerText()).resolves.toContain('watching a live session needs one of the roles auditor, security, admin');
      expect((await watchRecords()).filter((r) => r.object === session!.id)).toMatchObject([{ actor: 'alice', status: 'D' }]);
    } finally {
      term.close();
      await alice.context.close();
    }
  });
});
