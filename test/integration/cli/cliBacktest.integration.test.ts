import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { BACKTEST_DRAFT_YAML, seedBacktestHistory } from '../../support/backtestFixture.js';
import { runCliProcess } from '../../support/runCliProcess.js';
import { sharedParser } from '../../support/sharedParser.js';
import { TestClock } from '../../support/testClock.js';

/** `changeguard policy backtest`, the real CLI process on a store that recorded sessions. */
let dir: string;
let env: NodeJS.ProcessEnv;
let draft: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-backtest-'));
  env = { DATA_DIR: join(dir, 'data'), MONGODB_URI: '', USER: 'ops-oncall' };
  draft = join(dir, 'draft.yml');
  writeFileSync(draft, BACKTEST_DRAFT_YAML);
  const store = SqliteStore.open(join(dir, 'data', 'changeguard.db'));
  // Recorded two hours ago: inside `--since 1d`, outside `--since 1h`.
  const clock = new TestClock(new Date(Date.now() - 2 * 3600_000));
  const deps = createServiceDeps({ store, clock: clock.now, parser: await sharedParser(), policyMaxAgeMs: 0 });
  await seedBacktestHistory(deps, clock);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('changeguard policy backtest', () => {
  it('prints the report as JSON: counts, groups by rule, user and device, examples', async () => {
    const result = await runCliProcess(['policy', 'backtest', '--policy', draft, '--since', '1d', '--json'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown> & { byRule: { key: string }[]; examples: Record<string, { line: string }[]> };
    expect(report).toMatchObject({ source: 'draft.yml', judged: 12, unchanged: 6, counts: { newly_blocked: 2, newly_allowed: 2, changed: 2 }, sessionsCut: 1, truncated: false, rules: 4 });
    expect(report.byRule.map((g) => g.key)).toEqual(['no-shutdown', 'no-uptime', '(opaque)', 'no-recursive-rm']);
    expect(report.examples.newly_allowed!.map((e) => e.line)).toEqual(['rm -rf /tmp/x', '$(echo rm) -rf /']);
  });

  it('prints it for a person without --json, and judges only the range asked for', async () => {
    const result = await runCliProcess(['policy', 'backtest', '--policy', draft, '--since', '30d'], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^draft\.yml: 12 recorded commands from \S+ to \S+ judged under the draft \(4 rules\) in \d+ ms$/);
    expect(lines[1]).toBe('  2 newly blocked, 2 newly allowed, 2 changed, 6 unchanged; 1 sessions would have been cut');
    expect(result.stdout).toContain('\nby rule\n  no-shutdown          2 changed\n  no-uptime            2 newly blocked\n');
    expect(result.stdout).toContain('\nby device\n  web01                1 newly blocked, 2 newly allowed, 2 changed\n  web02                1 newly blocked\n');
    expect(result.stdout).toMatch(/alice@web01 CHG-1 sess-1: rm -rf \/tmp\/x\n {6}was block \(no-recursive-rm\), would be allow\n/);
    const recent = await runCliProcess(['policy', 'backtest', '--policy', draft, '--since', '1h'], { env });
    expect(recent.stdout).toContain('  No verdict would change.');
    expect(recent.stdout).toMatch(/^draft\.yml: 0 recorded commands/);
  });

  it('is audited as the operator holding the store', async () => {
    const store = SqliteStore.open(join(dir, 'data', 'changeguard.db'), { readonly: true });
    try {
      const records = (await store.audit.list({ eventType: 'BACKTEST', limit: 10, offset: 0 })).records;
      expect(records.length).toBeGreaterThanOrEqual(2);
      expect(records[0]).toMatchObject({ status: 'S', actor: 'ops-oncall', terminal: 'cli', class: 'POLICY', object: 'draft.yml' });
    } finally {
      await store.close();
    }
  });

  it('refuses a bad draft with its located errors, bad dates and a missing --policy (exit 2, nothing judged)', async () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, BACKTEST_DRAFT_YAML.replace('command: [uptime]', 'command: [uptime], lockAfter: 0'));
    expect(await runCliProcess(['policy', 'backtest', '--policy', bad], { env })).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'bad.yml: rules[3].lockAfter: expected number to be >=1, got 0 (line 6)\n',
    });
    expect(await runCliProcess(['policy', 'backtest', '--policy', draft, '--since', 'last week'], { env })).toMatchObject({
      code: 2,
      stderr: 'changeguard: --since: expected a date like 2026-11-01 or 7d, got "last week"\n',
    });
    expect(await runCliProcess(['policy', 'backtest', '--policy', draft, '--since', '1d', '--until', '2d'], { env })).toMatchObject({
      code: 2,
      stderr: 'changeguard: --until: must be after --since\n',
    });
    const missing = await runCliProcess(['policy', 'backtest', '--since', '1d'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--policy <file>' not specified");
    const noStore = await runCliProcess(['policy', 'backtest', '--policy', draft], { env: { ...env, DATA_DIR: join(dir, 'elsewhere') } });
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/^changeguard: no changeguard database at .*elsewhere\/changeguard\.db/);
  });
});
