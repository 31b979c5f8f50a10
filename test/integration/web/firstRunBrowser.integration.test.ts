import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { dateToWallDate } from '../../../src/domain/time/wallTime.js';
import { createLogger } from '../../../src/logger.js';
import { startChangeguard, type RunningChangeguard } from '../../../src/main.js';
import { freePort } from '../../support/freePort.js';

/**
 * The first run, as a new user meets it, in a real browser: the whole product (startChangeguard,
 * as `npm start` runs it) on a fresh data directory with examples/policy.yml and no Slack.
 * alice signs in locally and files a change on the web (preflight, then file); bob signs in,
 * approves it and sees how alice connects; erin opens the period report and its printable page.
 * Screenshots in test-output/first-run/ (gitignored).
 */
// The few browser globals the page functions below use (the project compiles without DOM types).
declare const document: { readonly documentElement: { readonly scrollWidth: number } };
declare const window: { readonly innerWidth: number };

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-output', 'first-run');
const EXAMPLE_POLICY = join(process.cwd(), 'examples', 'policy.yml');

let browser: Browser;
let dir: string;
let product: RunningChangeguard;
let baseUrl: string;
let proxyPort: number;
const cspViolations: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\``);
  }
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'changeguard-first-run-'));
  const port = await freePort();
  proxyPort = await freePort();
  const config = loadConfig(
    {
      DATA_DIR: join(dir, 'data'),
      POLICY_FILE: EXAMPLE_POLICY,
      PORT: String(port),
      PROXY_PORT: String(proxyPort),
      SCHEDULER_POLL_SECONDS: '1',
      SHUTDOWN_GRACE_SECONDS: '2',
    },
    { readDotEnv: false },
  );
  product = await startChangeguard(config, createLogger(process.env.WEB_TEST_LOG ?? 'silent'));
  baseUrl = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await product?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newPage(width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, page.url()).toBeLessThanOrEqual(innerWidth);
}

/** The loopback picker, as examples/policy.yml offers it (no Slack, no passwords). */
async function signInLocally(page: Page, user: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(`${baseUrl}/signin`);
  await page.locator('#user').selectOption(user);
  await page.getByRole('button', { name: 'Sign in locally' }).click();
  await page.waitForURL(`${baseUrl}/`);
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${baseUrl}/signin`);
}

describe('the first run, from a fresh data directory with examples/policy.yml', () => {
  let code: string;

  it('alice signs in locally and files a change on the web, after its preflight', async () => {
    const page = await newPage(1280);
    try {
      await signInLocally(page, 'alice');
      await expect(page.locator('.local-banner').textContent()).resolves.toContain('Local sign-in.');
      await expect(page.locator('#home-changes h2').textContent()).resolves.toBe('Your open changes');
      await shoot(page, '01-alice-home-1280');

      await page.locator('#new-change').click();
      await page.waitForURL(`${baseUrl}/changes/new`);
      code = (await page.locator('#code').inputValue()).trim();
      expect(code).toMatch(/^CHG-\d+$/);
      await page.locator('#title').fill('Reload nginx with the new certificate');
      await page.locator('#description').fill('The certificate was renewed this morning.');
      // The only server of web-ops comes ticked.
      await expect(page.locator('input[name="devices"][value="web01"]').isChecked()).resolves.toBe(true);
      await page.locator('#script').fill('# check, then reload\nnginx -t\nsystemctl reload nginx\nrm -rf /var/cache/nginx/old');
      await expect(page.locator('#file').count()).resolves.toBe(0);
      await page.locator('#check').click();
      await page.waitForURL(`${baseUrl}/changes/new`);
      const preflight = page.locator('#preflight');
      await expect(preflight.locator('tr.verdict-block code').textContent()).resolves.toBe('rm -rf /var/cache/nginx/old');
      await expect(preflight.textContent()).resolves.toContain('no-recursive-rm');
      await shoot(page, '02-new-change-preflight-1280');
      await expectNoHorizontalOverflow(page);

      await page.locator('#file').click();
      await page.waitForURL(`${baseUrl}/changes/${code}?done=filed`);
      await expect(page.locator('.flash.ok').textContent()).resolves.toContain('The change is filed');
      await expect(page.locator('.title-row .badge').textContent()).resolves.toBe('pending approval');
      await expect(page.locator('ol.script li').count()).resolves.toBe(4);
      await shoot(page, '03-change-filed-1280');
      const stored = await product.deps.store.changes.findByCode(code);
      expect(stored).toMatchObject({ requester: 'alice', status: 'pending_approval', devices: ['web01'] });
      await signOut(page);
    } finally {
      await page.context().close();
    }
  });

  it('bob signs in, approves it and sees how alice connects', async () => {
    const page = await newPage(1280);
    try {
      await signInLocally(page, 'bob');
      await expect(page.locator('#home-approvals').textContent()).resolves.toContain(code);
      await shoot(page, '04-bob-home-1280');
      await page.locator('#home-approvals').getByRole('link', { name: code }).click();
      await page.waitForURL(`${baseUrl}/changes/${code}`);
      await page.locator('#approve').click();
      await page.waitForURL(`${baseUrl}/changes/${code}?done=approved`);
      await expect(page.locator('.title-row .badge').textContent()).resolves.toBe('approved');
      const ssh = `ssh -p ${proxyPort} alice+${code}+web01@localhost`;
      await expect(page.locator('#connect h2').textContent()).resolves.toBe('How alice connects');
      await expect(page.locator('#connect code.ssh-line').textContent()).resolves.toBe(ssh);
      await shoot(page, '05-change-approved-ssh-line-1280');
      await expectNoHorizontalOverflow(page);
      expect((await product.deps.store.changes.findByCode(code))?.status).toBe('approved');
      await signOut(page);
    } finally {
      await page.context().close();
    }
  });

  it('alice sees the ssh line to connect on a phone-sized screen', async () => {
    const page = await newPage(390);
    try {
      await signInLocally(page, 'alice');
      await page.goto(`${baseUrl}/changes/${code}`);
      await expect(page.locator('#connect h2').textContent()).resolves.toBe('Connect');
      await expect(page.locator('#connect code.ssh-line').textContent()).resolves.toBe(`ssh -p ${proxyPort} alice+${code}+web01@localhost`);
      await shoot(page, '06-change-connect-390');
      await expectNoHorizontalOverflow(page);
      await page.goto(`${baseUrl}/changes/new`);
      await shoot(page, '07-new-change-390');
      await expectNoHorizontalOverflow(page);
    } finally {
      await page.context().close();
    }
  });

  it('erin opens the period report, prints it and finds the change in it', async () => {
    const page = await newPage(1280);
    try {
      await signInLocally(page, 'erin');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
      await page.waitForURL(`${baseUrl}/reports`);
      // The default period is the last 7 days up to today; the new-change form's default window
      // starts in the next hour but one, which is tomorrow when the suite runs after 22:00 UTC.
      // erin extends the period to the window's last day, as an auditor would.
      const change = await product.deps.store.changes.findByCode(code);
      const lastDay = dateToWallDate(change!.windowEnd, 'UTC');
      if ((await page.locator('#to').inputValue()) < lastDay) {
        await page.locator('#to').fill(lastDay);
        await page.locator('#report-range').getByRole('button', { name: 'Show' }).click();
        await page.waitForURL(new RegExp(`/reports\\?from=\\d{4}-\\d\\d-\\d\\d&to=${lastDay}$`));
      }
      await expect(page.locator('#report-summary').textContent()).resolves.toContain('intact');
      await expect(page.locator('#report-summary').textContent()).resolves.toMatch(/Changes\s*1: approved 1/);
      await expect(page.locator('main').textContent()).resolves.toContain(code);
      await shoot(page, '08-report-1280');
      await expectNoHorizontalOverflow(page);
      await page.locator('#report-print').click();
      await page.waitForURL(/\/reports\/period\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d$/);
      await expect(page.locator('h1').textContent()).resolves.toMatch(/^changeguard report /);
      await expect(page.locator('body').textContent()).resolves.toContain(code);
      await shoot(page, '09-report-printable-1280');
      const exports = (await product.deps.store.audit.list({ eventType: 'EXPORT', actor: 'erin' })).records;
      expect(exports.map((r) => r.details)).toEqual([expect.stringMatching(/^period report as html \(/)]);
    } finally {
      await page.context().close();
    }
  });

  it('answers an unknown address with the styled page', async () => {
    const page = await newPage(1280);
    try {
      const response = await page.goto(`${baseUrl}/reportz`);
      expect(response?.status()).toBe(404);
      await expect(page.locator('main h1').textContent()).resolves.toBe('Not found');
      await shoot(page, '10-not-found-1280');
    } finally {
      await page.context().close();
    }
  });

  it('ran without a single Content Security Policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
