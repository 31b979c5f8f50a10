import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../src/services/domainEvents.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { startFakeSlackOpenId, type FakeSlackOpenId } from '../../support/fakeSlackOpenId.js';
import { seedRanChange, startPortal, type PortalHarness } from '../../support/webHarness.js';

/**
 * The portal in a real browser: Debian's chromium, headless, driven by playwright-core.
 * Screenshots go to test-output/web/ (gitignored) for a human to look at.
 */
// The few browser globals the page functions below use (the project compiles without DOM types).
declare const document: { readonly documentElement: { readonly scrollWidth: number } };
declare const window: { readonly innerWidth: number };
declare function getComputedStyle(element: unknown): { readonly backgroundColor: string };

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-output', 'web');

let browser: Browser;
let slack: FakeSlackOpenId;
let h: PortalHarness;
let slackSide: SqliteStore;
let ranCode: string;
let pendingCode: string;
const events: DomainEvent[] = [];
const cspViolations: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\``);
  }
  mkdirSync(SHOTS, { recursive: true });
  slack = await startFakeSlackOpenId();
  h = await startPortal({
    web: {
      slackConfigured: true,
      slackSignIn: { clientId: slack.clientId, clientSecret: slack.clientSecret, apiUrl: slack.apiUrl, authorizeUrl: slack.authorizeUrl },
    },
  });
  // What the Slack adapter (another connection, possibly another process) reads.
  slackSide = SqliteStore.open(h.sqliteFile);
  ranCode = await seedRanChange(h);
  pendingCode = (await h.fileChange({ title: 'Raise nginx worker_connections', script: 'sed -i s/1024/4096/ /etc/nginx/nginx.conf\nnginx -t\nsystemctl reload nginx' })).code;
  // The Slack notifier subscribes like this to update its messages in place.
  h.deps.events.subscribe((event) => {
    events.push(event);
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await slackSide?.close();
  await h?.close();
  await slack?.close();
});

async function contextAs(slackUser: string, width: number): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  slack.signInAs = slackUser;
  await page.goto(`${h.baseUrl}/approvals`);
  await expect(page.url()).toContain('/signin?next=');
  await page.getByRole('link', { name: 'Sign in with Slack' }).click();
  await page.waitForURL(`${h.baseUrl}/approvals`);
  return { context, page };
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Nothing wider than the window: no sideways scrolling of the page itself. */
async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, page.url()).toBeLessThanOrEqual(innerWidth);
}

describe('the portal in chromium', () => {
  it('signs in with Slack as an approver and approves a change; the Slack side sees it', async () => {
    const { context, page } = await contextAs('U01BOB', 1280);
    try {
      await expect(page.locator('.who-name').textContent()).resolves.toContain('Bob');
      await shoot(page, 'approvals-1280');
      await page.getByRole('link', { name: pendingCode }).click();
      await page.waitForURL(`${h.baseUrl}/changes/${pendingCode}`);
      await expect(page.locator('ol.script li').count()).resolves.toBe(3);
      await shoot(page, 'change-pending-1280');
      await page.locator('#approve').click();
      await page.waitForURL(`${h.baseUrl}/changes/${pendingCode}?done=approved`);
      await expect(page.locator('.flash.ok').textContent()).resolves.toBe('Your approval is recorded.');
      await expect(page.locator('.title-row .badge').textContent()).resolves.toBe('approved');
      await shoot(page, 'change-approved-1280');

      expect((await slackSide.changes.findByCode(pendingCode))?.status).toBe('approved');
      expect(events.filter((e) => e.type === 'change.approved').map((e) => e.change.code)).toEqual([pendingCode]);
      await expectNoHorizontalOverflow(page);
    } finally {
      await context.close();
    }
  });

  it('shows the change audit with red and green rows, and replays the recording', async () => {
    const { context, page } = await contextAs('U01BOB', 1280);
    try {
      await page.goto(`${h.baseUrl}/changes/${ranCode}/audit`);
      const missing = page.locator('#planned tr.row-missing');
      await expect(missing.count()).resolves.toBe(1);
      await expect(missing.locator('code').textContent()).resolves.toBe('nginx -t');
      await expect(missing.locator('td').first().evaluate((td) => getComputedStyle(td).backgroundColor)).resolves.toBe('rgb(253, 228, 226)');
      const extra = page.locator('#executed tr.row-extra');
      await expect(extra.count()).resolves.toBe(1);
      await expect(extra.locator('code').textContent()).resolves.toBe('curl -sI http://localhost/');
      await expect(extra.locator('td').first().evaluate((td) => getComputedStyle(td).backgroundColor)).resolves.toBe('rgb(227, 244, 230)');
      await expect(page.locator('#blocked code').textContent()).resolves.toBe('rm -rf /var/cache/nginx');
      await shoot(page, 'change-audit-1280');
      await expectNoHorizontalOverflow(page);

      await page.getByRole('link', { name: 'sess-demo' }).click();
      await page.waitForURL(`${h.baseUrl}/sessions/sess-demo`);
      expect((await h.store.audit.list({ eventType: 'VIEW' })).total).toBe(0);
      await page.locator('.ap-overlay-start').click();
      await page.locator('.ap-term').filter({ hasText: 'systemctl restart nginx' }).waitFor({ timeout: 15_000 });
      await shoot(page, 'session-replay-1280');
      expect((await h.store.audit.list({ eventType: 'VIEW' })).records).toMatchObject([{ actor: 'bob', class: 'SESSION', object: 'sess-demo' }]);
    } finally {
      await context.close();
    }
  });

  it('lets an auditor filter the trail and export it as CSV', async () => {
    const { context, page } = await contextAs('U01ERIN', 1280);
    try {
      await page.goto(`${h.baseUrl}/audit`);
      await expect(page.locator('#chain').textContent()).resolves.toContain('Chain intact');
      await page.locator('input[name="eventType"]').fill('EXECUTE');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/\/audit\?.*eventType=EXECUTE/);
      await expect(page.locator('table.trail tbody tr').count()).resolves.toBe(4);
      await shoot(page, 'audit-trail-1280');
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()]);
      expect(download.suggestedFilename()).toMatch(/^changeguard-audit-\d{4}-\d{2}-\d{2}\.csv$/);
      const csv = readFileSync((await download.path())!, 'utf8').trimEnd().split('\r\n');
      expect(csv[0]).toMatch(/^Seq,Date,Time,Status,Event type/);
      // The records, then the chain's head when exported (the file anchors the trail).
      expect(csv.slice(1, -1).every((line) => line.split(',')[4] === 'EXECUTE')).toBe(true);
      expect(csv.at(-1)).toMatch(/^HEAD,,,,CHAIN_HEAD,/);
      expect(csv).toHaveLength(6);
    } finally {
      await context.close();
    }
  });

  it('approves through a personal approval link on a phone-sized screen', async () => {
    const change = await h.fileChange({ title: 'Rotate logs on web01', script: 'logrotate -f /etc/logrotate.d/nginx' });
    const link = h.links.create(change.code, 'bob', h.clock.now());
    const { context, page } = await contextAs('U01BOB', 390);
    try {
      await page.goto(link);
      await expect(page.locator('h1').textContent()).resolves.toContain(`Decide on ${change.code}`);
      await shoot(page, 'approval-link-390');
      await expectNoHorizontalOverflow(page);
      await page.locator('#approve').click();
      await page.waitForURL(`${h.baseUrl}/changes/${change.code}?done=approved`);
      expect((await slackSide.changes.findByCode(change.code))?.status).toBe('approved');
      await page.goto(link);
      await expect(page.locator('.flash.error').textContent()).resolves.toContain('This link was already used.');
    } finally {
      await context.close();
    }
  });

  it('renders every page on a 390 px wide screen without sideways scrolling', async () => {
    const { context, page } = await contextAs('U01ERIN', 390);
    try {
      const pages: [string, string][] = [
        ['approvals', '/approvals'],
        ['changes', '/changes'],
        ['change', `/changes/${ranCode}`],
        ['change-audit', `/changes/${ranCode}/audit`],
        ['session', '/sessions/sess-demo'],
        ['audit-trail', '/audit'],
        ['policy', '/policy'],
        ['outbox', '/outbox'],
      ];
      for (const [name, path] of pages) {
        const response = await page.goto(`${h.baseUrl}${path}`);
        expect(response?.status(), path).toBe(200);
        await shoot(page, `${name}-390`);
        await expectNoHorizontalOverflow(page);
      }
    } finally {
      await context.close();
    }
  });

  it('ran without a single Content Security Policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
