import { beforeEach, describe, expect, it } from 'vitest';
import { backtestPolicy } from '../../../src/services/policy/backtestPolicy.js';
import { PolicyValidationError } from '../../../src/services/policy/policyImport.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { BACKTEST_DRAFT_YAML, BACKTEST_POLICY_YAML, seedBacktestHistory } from '../../support/backtestFixture.js';
import { seedSessions } from '../../support/seedSessions.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import { TestClock } from '../../support/testClock.js';

const T0 = new Date('2026-11-22T09:00:00Z');
const DAY = 24 * 3600_000;
let deps: ServiceDeps;
let store: SqliteStore;
const erin = { userId: 'erin', terminal: 'web 10.0.0.7' };
const range = { since: new Date(T0.getTime() - DAY), until: new Date(T0.getTime() + DAY) };

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  const clock = new TestClock(T0);
  deps = (await serviceHarness(store, { clock })).deps;
  await seedBacktestHistory(deps, clock);
});

describe('policy backtest', () => {
  it('gives every recorded command its recorded verdict under the policy that judged it (the proxy\'s own decisions)', async () => {
    const stored = (await store.commands.search({ limit: 100, offset: 0 })).records.reverse();
    expect(stored.map((r) => `${r.line}=${r.verdict}`)).toEqual([
      'uptime=allow', 'rm -rf /tmp/x=block', 'systemctl stop apache2=block', 'reboot=block', 'reboot=block', 'reboot=interrupt', '$(echo rm) -rf /=block',
      'pg_dump app=block', 'systemctl stop apache2=allow', 'ls=allow',
      'bash=block', 'uptime=allow',
    ]);
    const result = await backtestPolicy(deps, erin, { text: BACKTEST_POLICY_YAML, source: 'policy.yml', ...range });
    expect(result).toMatchObject({ judged: 12, unchanged: 12, counts: { newly_blocked: 0, newly_allowed: 0, changed: 0 }, sessionsCut: 0, truncated: false, rules: 4 });
    expect(result.byRule).toEqual([]);
  });

  it('reports what a draft changes, by rule, user and device, with examples', async () => {
    const result = await backtestPolicy(deps, erin, { text: BACKTEST_DRAFT_YAML, source: 'draft.yml', ...range });
    expect(result.counts).toEqual({ newly_blocked: 2, newly_allowed: 2, changed: 2 });
    expect(result.unchanged).toBe(6);
    expect(result.sessionsCut).toBe(1);
    const counts = (groups: typeof result.byRule) => groups.map((g) => [g.key, g.counts.newly_blocked, g.counts.newly_allowed, g.counts.changed]);
    expect(counts(result.byRule)).toEqual([
      ['no-shutdown', 0, 0, 2],
      ['no-uptime', 2, 0, 0],
      ['(opaque)', 0, 1, 0],
      ['no-recursive-rm', 0, 1, 0],
    ]);
    expect(counts(result.byUser)).toEqual([['alice', 2, 2, 2]]);
    expect(counts(result.byDevice)).toEqual([['web01', 1, 2, 2], ['web02', 1, 0, 0]]);
    expect(result.examples.newly_blocked.map((e) => [e.sessionId, e.line, e.draft.ruleIds])).toEqual([['sess-1', 'uptime', ['no-uptime']], ['sess-3', 'uptime', ['no-uptime']]]);
    expect(result.examples.newly_allowed.map((e) => [e.line, e.stored.ruleIds])).toEqual([['rm -rf /tmp/x', ['no-recursive-rm']], ['$(echo rm) -rf /', ['(opaque)']]]);
    expect(result.examples.changed.map((e) => [e.stored.verdict, e.draft.verdict])).toEqual([['block', 'interrupt'], ['block', 'interrupt']]);
    // The exec shell stays refused: no rule decides that, so no draft can allow it.
    expect(JSON.stringify(result.examples)).not.toContain('"line":"bash"');
    const [record] = (await store.audit.list({ eventType: 'BACKTEST', limit: 5, offset: 0 })).records;
    expect(record).toMatchObject({ status: 'S', actor: 'erin', class: 'POLICY', object: 'draft.yml' });
    expect(record?.details).toBe(`draft draft.yml against 12 commands from ${range.since.toISOString()} to ${range.until.toISOString()}: 2 newly blocked, 2 newly allowed, 2 changed`);
  });

  it('refuses file transfers as the proxy does, unless the draft allows them', async () => {
    await seedSessions(deps, [{ id: 'sess-4', changeCode: 'CHG-1', user: 'alice', device: 'web01', group: 'web-ops', kind: 'exec', lines: ['scp -t /srv/upload'] }]);
    const [stored] = (await store.commands.search({ limit: 1, offset: 0 })).records;
    expect(stored).toMatchObject({ line: 'scp -t /srv/upload', verdict: 'block', ruleIds: ['(transfer)'] });
    // The same settings: the transfer stays refused, nothing is reported as newly allowed.
    const same = await backtestPolicy(deps, erin, { text: BACKTEST_POLICY_YAML, source: 'policy.yml', ...range });
    expect(same).toMatchObject({ judged: 13, unchanged: 13, counts: { newly_blocked: 0, newly_allowed: 0, changed: 0 } });
    // A draft turning transfers on would have let it through.
    const allowing = BACKTEST_POLICY_YAML.replace('settings: { opaque: block, timezone: UTC }', 'settings: { opaque: block, timezone: UTC, fileTransfer: allow }');
    const opened = await backtestPolicy(deps, erin, { text: allowing, source: 'draft.yml', ...range });
    expect(opened.counts).toEqual({ newly_blocked: 0, newly_allowed: 1, changed: 0 });
    expect(opened.examples.newly_allowed.map((e) => [e.line, e.stored.ruleIds])).toEqual([['scp -t /srv/upload', ['(transfer)']]]);
  });

  it('judges only the commands of the range', async () => {
    const before = await backtestPolicy(deps, erin, { text: BACKTEST_DRAFT_YAML, source: 'draft.yml', since: new Date(T0.getTime() - DAY), until: T0 });
    expect(before.judged).toBe(0);
  });

  it('lets auditors, security and admins backtest, and refuses (and audits) anyone else', async () => {
    for (const userId of ['sam', 'ada']) await expect(backtestPolicy(deps, { userId, terminal: 'slack' }, { text: BACKTEST_DRAFT_YAML, source: 'd.yml', ...range })).resolves.toMatchObject({ judged: 12 });
    const refusal = backtestPolicy(deps, { userId: 'alice', terminal: 'web 10.0.0.8' }, { text: BACKTEST_DRAFT_YAML, source: 'd.yml', ...range });
    await expect(refusal).rejects.toMatchObject({ kind: 'forbidden', message: 'alice may not backtest a draft policy (auditor, security or admin role)', audited: true });
    const audits = (await store.audit.list({ eventType: 'BACKTEST', actor: 'alice', limit: 5, offset: 0 })).records;
    expect(audits.map((r) => r.status)).toEqual(['D']);
  });

  it('refuses a bad draft with located errors, as an import would, and changes nothing', async () => {
    const policy = await store.policy.load();
    const bad = BACKTEST_DRAFT_YAML.replace('action: interrupt, attempts: 1', 'action: deny, attempts: 1').replace("scope: { users: [alice] }", 'scope: { users: [mallory] }');
    const attempt = backtestPolicy(deps, erin, { text: bad, source: 'draft.yml', ...range });
    await expect(attempt).rejects.toBeInstanceOf(PolicyValidationError);
    await expect(attempt).rejects.toThrow('draft.yml: rules[0].action: expected allow|block|interrupt|force, got "deny" (line 3)');
    const unknownUser = BACKTEST_DRAFT_YAML.replace("scope: { users: [alice] }", 'scope: { users: [mallory] }');
    await expect(backtestPolicy(deps, erin, { text: unknownUser, source: 'draft.yml', ...range })).rejects.toThrow('draft.yml: rules[3].scope.users[0]: unknown user "mallory" (line 6)');
    expect(await store.policy.load()).toEqual(policy);
    expect((await store.audit.list({ eventType: 'BACKTEST', limit: 5, offset: 0 })).total).toBe(0);
  });
});
