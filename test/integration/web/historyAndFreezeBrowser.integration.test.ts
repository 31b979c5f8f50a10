import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKTEST_DRAFT_YAML, seedBacktestHistory } from '../../support/backtestFixture.js';
import { startPortal, type PortalHarness } from '../../support/webHarness.js';

/**
 * Command search, policy backtest, collisions and freezes in Debian's chromium (headless,
 * playwright-core), at 1280 and 390 px; screenshots in test-output/history-freeze/.
 */
declare const document: { readonly documentElement: { readonly scrollWidth: number } };
declare const window: { readonly innerWidth: number };

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-output', 'history-freeze');
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const freezeDay = new Date(Math.floor(Date.now() / DAY) * DAY + 2 * DAY);
const day = (d: Date) => d.toISOString().slice(0, 10);

let browser: Browser;
let h: PortalHarness;
const cspViolations: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\``);
  mkdirSync(SHOTS, { recursive: true });
  h = await startPortal();
  // The backtest fixture's policy (alice, bob, carol approve; erin audits) and three recorded sessions.
  await seedBacktestHistory(h.deps, h.clock);
  // A freeze on web02, and a second approver for web-ops: an emergency in a freeze needs one
  // approval more than the quorum, from different approvers.
  const policy = await h.deps.store.policy.load();
  await h.deps.store.policy.apply({
    replace: {
      groups: policy.groups.map((g) => (g.id === 'web-ops' ? { ...g, approvers: ['carol', 'bob'] } : g)),
      freezes: [{ id: 'patch-day', from: day(freezeDay), to: day(freezeDay), devices: ['web02'], reason: 'Vendor patch day' }],
    },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function pageAs(user: string, width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  await page.goto(`${h.baseUrl}/signin`);
  await page.locator('#user').selectOption(user);
  await page.getByRole('button', { name: 'Sign in locally' }).click();
  await page.waitForURL(`${h.baseUrl}/`);
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `${name}: no sideways scrolling`).toBeLessThanOrEqual(innerWidth);
}

describe('in chromium', () => {
  it('an auditor searches the refused commands and opens a session from the results', async () => {
    for (const width of [1280, 390]) {
      const page = await pageAs('erin', width);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Commands' }).click();
      await page.locator('input[name="q"]').fill('reboot');
      await page.locator('select[name="verdict"]').selectOption('refused');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/\/commands\?q=reboot/);
      await expect(page.locator('#search-results tbody tr').count()).resolves.toBe(3);
      await expect(page.locator('#search-results tbody tr').first().locator('.badge').textContent()).resolves.toBe('interrupt');
      await shoot(page, `command-search-${width}`);
      await page.locator('#search-results').getByRole('link', { name: 'sess-1' }).first().click();
      await page.waitForURL(`${h.baseUrl}/sessions/sess-1`);
      await page.context().close();
    }
  });

  it('an admin pastes a draft policy and sees what it would change', async () => {
    const page = await pageAs('ada', 1280);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backtest' }).click();
    await page.waitForURL(`${h.baseUrl}/policy/backtest`);
    await page.locator('#draft-policy').fill(BACKTEST_DRAFT_YAML);
    await page.locator('input[name="from"]').fill(day(new Date(Date.now() - DAY)));
    await page.locator('input[name="to"]').fill(day(new Date(Date.now() + DAY)));
    await page.locator('#run-backtest').click();
    await page.locator('#backtest-result').waitFor();
    await expect(page.locator('.backtest-counts').textContent()).resolves.toMatch(/2 newly blocked\s+2 newly allowed\s+2 changed/);
    await expect(page.locator('#by-rule tbody tr').count()).resolves.toBe(4);
    await expect(page.locator('#backtest-examples tbody tr').count()).resolves.toBe(6);
    await shoot(page, 'policy-backtest-1280');
    await page.setViewportSize({ width: 390, height: 900 });
    await shoot(page, 'policy-backtest-390');
    // A broken draft: the located error, the text kept.
    await page.locator('#draft-policy').fill(BACKTEST_DRAFT_YAML.replace('action: block, scope', 'action: deny, scope'));
    await page.locator('#run-backtest').click();
    await page.locator('#policy-problems').waitFor();
    await expect(page.locator('#draft-policy').inputValue()).resolves.toContain('action: deny, scope');
    await expect(page.locator('#policy-problems li').textContent()).resolves.toBe('draft.yml: rules[2].action: expected allow|block|interrupt|force|review, got "deny" (line 5)');
    await page.context().close();
  });

  it('a requester files an emergency into a freeze over another change, and an approver sees both warnings', async () => {
    const start = new Date(freezeDay.getTime() + 10 * HOUR);
    const other = await h.fileChange({ title: 'Kernel update', devices: ['web02'], windowStart: start, windowEnd: new Date(start.getTime() + 2 * HOUR), emergency: true });
    const page = await pageAs('alice', 1280);
    await page.goto(`${h.baseUrl}/changes/new`);
    await page.locator('#code').fill('CHG-EMER');
    await page.locator('#title').fill('Emergency TLS fix');
    const wall = (d: Date) => d.toISOString().slice(0, 16);
    await page.locator('#windowStart').fill(wall(new Date(start.getTime() + HOUR)));
    await page.locator('#windowEnd').fill(wall(new Date(start.getTime() + 3 * HOUR)));
    await page.locator('#device-web-ops-web02').check();
    await page.locator('#script').fill('systemctl reload nginx');
    await page.locator('#check').click();
    await expect(page.locator('.field-error').first().textContent()).resolves.toContain('falls in the change freeze patch-day');
    await page.locator('#emergency').check();
    await page.locator('#check').click();
    await page.locator('#preflight #freeze-notice').waitFor();
    await expect(page.locator('#preflight #collisions').textContent()).resolves.toContain(other.code);
    await shoot(page, 'new-change-freeze-1280');
    await page.locator('#file').click();
    await page.waitForURL(`${h.baseUrl}/changes/CHG-EMER?done=filed`);
    await page.context().close();

    const approver = await pageAs('carol', 390);
    await approver.goto(`${h.baseUrl}/changes/CHG-EMER`);
    await expect(approver.locator('#emergency-badge').textContent()).resolves.toBe('emergency');
    await expect(approver.locator('#freeze-notice').textContent()).resolves.toContain('2 approvals');
    await expect(approver.locator('#collisions').textContent()).resolves.toContain(other.code);
    await shoot(approver, 'change-freeze-approver-390');
    await approver.locator('#approve').click();
    await approver.waitForURL(`${h.baseUrl}/changes/CHG-EMER?done=approved`);
    expect((await h.store.changes.findByCode('CHG-EMER'))?.status).toBe('pending_approval');
    await approver.context().close();

    // The second approver completes the emergency quorum.
    const second = await pageAs('bob', 1280);
    await second.goto(`${h.baseUrl}/changes/CHG-EMER`);
    await expect(second.locator('#freeze-notice').textContent()).resolves.toContain('2 approvals');
    await second.locator('#approve').click();
    await second.waitForURL(`${h.baseUrl}/changes/CHG-EMER?done=approved`);
    expect((await h.store.changes.findByCode('CHG-EMER'))?.status).toBe('approved');
    await second.context().close();
  });

  it('ran without a single Content Security Policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
