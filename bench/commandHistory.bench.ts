import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Verdict } from '../src/domain/rules/verdict.js';
import { evaluateLine } from '../src/domain/rules/evaluateLine.js';
import { RuleSet } from '../src/domain/rules/ruleSet.js';
import type { CommandRecord } from '../src/domain/session/commandRecord.js';
import { ShellParser } from '../src/domain/shell/shellParser.js';
import { backtestPolicy } from '../src/services/policy/backtestPolicy.js';
import { importPolicy } from '../src/services/policy/policyImport.js';
import { searchCommands, type CommandSearchInput } from '../src/services/search/searchCommands.js';
import { createServiceDeps, type ServiceDeps } from '../src/services/serviceDeps.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import type { BenchRow } from './lib/benchRow.js';
import { percentiles } from './lib/percentiles.js';
import { thousandRules } from './ruleEvaluation.bench.js';
import { SAMPLE_LINES } from './lib/sampleCommandLines.js';

/**
 * The stored command history: command search over 1,000,000 stored commands, and a policy
 * backtest over 100,000, on SQLite (the embedded default) filled through the repository's
 * own append. `BENCH_SEARCH_ROWS` / `BENCH_BACKTEST_ROWS` scale them.
 */

const START = Date.parse('2026-08-01T00:00:00Z');
const USERS = 40;
const DEVICES = 200;
const PER_SESSION = 50;
const PER_CHANGE = 500;

/** Realistic lines: the 20 common commands, an argument that varies, `nginx` in a few. */
function lineAt(i: number, distinct: boolean): string {
  const base = SAMPLE_LINES[(i * 7) % SAMPLE_LINES.length]!;
  if (distinct) return `${base} --run-${i}`;
  // `canary`: one line in 2,000, for a rare word.
  return i % 20 === 0 ? `${base} # app-${i % 400}${i % 2000 === 0 ? ' canary' : ''}` : base;
}

function recordAt(i: number, spacingMs: number, distinct = false): CommandRecord {
  const line = lineAt(i, distinct);
  const verdict: Verdict = i % 200 === 0 ? 'interrupt' : i % 10 === 0 ? 'block' : 'allow';
  return {
    id: `cmd-${i}`,
    sessionId: `sess-${Math.floor(i / PER_SESSION)}`,
    changeCode: `CHG-${Math.floor(i / PER_CHANGE)}`,
    user: `user${Math.floor(i / PER_SESSION) % USERS}`,
    device: `dev${Math.floor(i / PER_SESSION) % DEVICES}`,
    at: new Date(START + i * spacingMs),
    source: 'shell',
    line,
    commands: [line],
    effective: [line],
    verdict,
    ruleIds: verdict === 'allow' ? [] : ['by-program-1'],
    risk: verdict === 'allow' ? null : 'medium',
  };
}

/** Appends through the repository, 10,000 per transaction (as fast as the store takes them). */
async function fill(store: SqliteStore, count: number, spacingMs: number, distinct = false): Promise<number> {
  const started = process.hrtime.bigint();
  store.db.exec('BEGIN');
  for (let i = 0; i < count; i++) {
    await store.commands.append(recordAt(i, spacingMs, distinct));
    if (i % 10_000 === 9_999) {
      store.db.exec('COMMIT');
      store.db.exec('BEGIN');
      if (i % 100_000 === 99_999) process.stderr.write(`  ${i + 1} commands stored\n`);
    }
  }
  store.db.exec('COMMIT');
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function depsOn(store: SqliteStore): Promise<ServiceDeps> {
  const deps = createServiceDeps({ store, clock: () => new Date(), parser: await ShellParser.load() });
  const users = Array.from({ length: USERS }, (_, i) => ({ id: `user${i}`, roles: ['requester'] }));
  const policy = {
    users: [...users, { id: 'erin', roles: ['auditor'] }],
    groups: [{ id: 'ops', members: users.map((u) => u.id), approvers: ['erin'], devices: Array.from({ length: DEVICES }, (_, i) => `dev${i}`) }],
    devices: Array.from({ length: DEVICES }, (_, i) => ({ id: `dev${i}`, host: '127.0.0.1', user: 'deploy', credential: { passwordEnv: 'DEV_PASSWORD' } })),
    rules: thousandRules(),
  };
  await importPolicy(deps, stringify(policy), 'bench.yml', { userId: 'bench', terminal: 'bench', kind: 'operator' });
  return deps;
}

/** Median and p95 of `runs` timings of one search, through the service (policy, audit record, query). */
async function timeSearch(deps: ServiceDeps, input: CommandSearchInput, runs = 15): Promise<{ median: number; p95: number; found: number }> {
  const samples: number[] = [];
  let found = 0;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const result = await searchCommands(deps, { userId: 'erin', terminal: 'bench' }, { pageSize: 50, ...input });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    found = result.records.length;
  }
  const [median, p95] = percentiles(samples, [0.5, 0.95]) as [number, number];
  return { median, p95, found };
}

export async function benchCommandSearch(count = Number(process.env.BENCH_SEARCH_ROWS ?? 1_000_000)): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-bench-search-'));
  const store = SqliteStore.open(join(dir, 'bench.db'));
  try {
    // 1,000,000 commands over 100 days: one every 8.64 s.
    const spacing = (100 * 86_400_000) / count;
    process.stderr.write(`  filling ${count.toLocaleString('en-US')} commands...\n`);
    const rate = await fill(store, count, spacing);
    const deps = await depsOn(store);
    const day = (n: number) => new Date(START + n * 86_400_000);
    const n = count.toLocaleString('en-US');
    const cases: [string, CommandSearchInput][] = [
      ['no filter (newest 50)', {}],
      ['one common word ("systemctl")', { text: 'systemctl' }],
      ['one rare word ("canary", 1 in 2,000)', { text: 'canary' }],
      ['two word prefixes ("sys rest")', { text: 'sys rest' }],
      ['common word + user', { text: 'nginx', user: 'user7' }],
      ['user only', { user: 'user7' }],
      ['server only', { device: 'dev42' }],
      ['change only', { change: `CHG-${Math.floor(count / PER_CHANGE / 2)}` }],
      ['refused only', { verdict: 'refused' }],
      ['one day', { since: day(50), until: day(51) }],
      ['common word + one day, 50 days back', { text: 'nginx', since: day(50), until: day(51) }],
      ['rare word + one day, 50 days back', { text: 'canary', since: day(50), until: day(51) }],
      ['word + server, no match', { text: 'rsync', device: 'dev1', verdict: 'interrupt' }],
      ['page 20 of a common word', { text: 'systemctl', page: 20 }],
    ];
    const rows: BenchRow[] = [{ area: `command search (${n})`, metric: 'fill through append', value: rate, unit: 'commands/s' }];
    const baseline = likeScan(store);
    for (const [name, input] of cases) {
      const { median, p95, found } = await timeSearch(deps, input);
      rows.push({
        area: `command search (${n})`,
        metric: `${name}: median / p95 (${found} shown)`,
        value: median,
        unit: `ms (p95 ${p95.toFixed(1)})`,
        baseline: { name: 'LIKE scan of every line', value: baseline },
        target: '< 100 ms',
        met: p95 < 100,
      });
    }
    return rows;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a search costs without the index: every line read and matched (a word no line holds). */
function likeScan(store: SqliteStore): number {
  const started = process.hrtime.bigint();
  store.db.prepare("SELECT doc FROM commands WHERE json_extract(doc, '$.line') LIKE '%zebra%' ORDER BY pos DESC LIMIT 50").all();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function benchPolicyBacktest(count = Number(process.env.BENCH_BACKTEST_ROWS ?? 100_000)): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const distinct of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'changeguard-bench-backtest-'));
    const store = SqliteStore.open(join(dir, 'bench.db'));
    try {
      // 100,000 commands over 30 days.
      process.stderr.write(`  filling ${count.toLocaleString('en-US')} commands (${distinct ? 'every line distinct' : 'session mix'})...\n`);
      await fill(store, count, (30 * 86_400_000) / count, distinct);
      const deps = await depsOn(store);
      for (let c = 0; c * PER_CHANGE < count; c++) {
        const at = new Date(START);
        await store.changes.create({
          code: `CHG-${c}`, title: 'bench', description: '', requester: 'user0', group: 'ops', devices: ['dev0'], script: 'uptime', scriptHash: 'h',
          windowStart: at, windowEnd: at, status: 'completed', approvals: [], createdAt: at, updatedAt: at, version: 1,
        });
      }
      // The draft: the same 1,000 rules with a tenth turned from block to allow and a new rule on tar.
      const rules = thousandRules().map((r, i) => (i % 10 === 5 && r.action === 'block' ? { ...r, action: 'allow' as const } : r));
      rules.push({ id: 'no-tar', command: ['tar'], action: 'block', risk: 'low', attempts: 1 });
      const draft = stringify({ rules });
      const range = { since: new Date(START), until: new Date(START + 31 * 86_400_000) };
      const started = process.hrtime.bigint();
      const result = await backtestPolicy(deps, { userId: 'erin', terminal: 'bench' }, { text: draft, source: 'draft.yml', ...range });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (result.judged !== count) throw new Error(`backtest judged ${result.judged} of ${count}`);

      const scanStarted = process.hrtime.bigint();
      const lines: string[] = [];
      for await (const batch of store.commands.scan({ ...range, batchSize: 2000 })) for (const r of batch) lines.push(r.line);
      const scanMs = Number(process.hrtime.bigint() - scanStarted) / 1e6;
      const freshParser = await ShellParser.load();
      const engine = RuleSet.compile(rules).forContext({ user: 'user0', group: 'ops', device: 'dev0' });
      const engineStarted = process.hrtime.bigint();
      for (const line of lines) evaluateLine(engine, freshParser.parse(line), { opaque: 'block' });
      const engineMs = Number(process.hrtime.bigint() - engineStarted) / 1e6;

      const label = distinct ? 'every line distinct' : 'session mix';
      const area = `policy backtest (${count.toLocaleString('en-US')}, 1,001 rules)`;
      rows.push(
        { area, metric: `${label}: whole backtest (${result.counts.newly_blocked} newly blocked, ${result.counts.newly_allowed} newly allowed)`, value: ms, unit: 'ms', baseline: { name: 'store scan alone', value: scanMs } },
        { area, metric: `${label}: rate`, value: count / (ms / 1000), unit: 'commands/s', baseline: { name: 'parse + evaluateLine alone, in memory', value: count / (engineMs / 1000) } },
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
