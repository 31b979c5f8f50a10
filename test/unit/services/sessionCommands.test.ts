import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/domain/session/session.js';
import { computeChangeAudit } from '../../../src/services/changes/changeAudit.js';
import { closeChange, startChange } from '../../../src/services/changes/changeWindow.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { judgeCommand, type SessionScope } from '../../../src/services/sessions/judgeCommand.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildPolicy, buildRule } from '../../support/factories.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;

const policy = buildPolicy({
  rules: [
    buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' }),
    buildRule({ id: 'no-shutdown', command: ['shutdown', 'reboot'], action: 'interrupt', attempts: 2, risk: 'high', lockAfter: 3 }),
  ],
});

async function openSession(code: string, id = 'sess-1'): Promise<SessionScope> {
  const session: Session = {
    id,
    changeCode: code,
    user: 'alice',
    device: 'web01',
    kind: 'shell',
    justification: 'planned',
    clientAddress: '127.0.0.1',
    startedAt: clock.now(),
    state: 'active',
  };
  await store.sessions.create(session);
  await startChange(deps, code, { userId: 'alice', terminal: 'proxy' });
  return { session, group: 'web-ops', interruptAttempts: new Map() };
}

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps, clock } = await serviceHarness(store, { policy }));
});
afterEach(async () => {
  await store.close();
});

async function approvedChange(script: string) {
  const change = await registerChange(
    deps,
    { title: 't', group: 'web-ops', devices: ['web01'], script, windowStart: new Date(T0.getTime() + HOUR), windowEnd: new Date(T0.getTime() + 2 * HOUR) },
    { userId: 'alice', terminal: 'slack' },
  );
  await approveChange(deps, change.code, { userId: 'bob', terminal: 'slack' });
  clock.set(new Date(T0.getTime() + HOUR + 60_000));
  return change;
}

describe('judging session commands', () => {
  it('stores each line with verdict, rules, risk and normalised commands, and audits it', async () => {
    const change = await approvedChange('systemctl reload nginx');
    const scope = await openSession(change.code);
    const allowed = await judgeCommand(deps, scope, 'sudo systemctl reload nginx', 'shell');
    const blocked = await judgeCommand(deps, scope, 'rm -rf /var/www', 'shell');
    expect(allowed).toMatchObject({ verdict: 'allow', message: undefined });
    expect(blocked).toMatchObject({ verdict: 'block', message: '"rm -rf /var/www" is not permitted (rule no-recursive-rm)' });
    const stored = await store.commands.listBySession('sess-1');
    expect(stored.map((c) => [c.line, c.verdict, c.ruleIds, c.risk])).toEqual([
      ['sudo systemctl reload nginx', 'allow', [], null],
      ['rm -rf /var/www', 'block', ['no-recursive-rm'], 'high'],
    ]);
    expect(stored[0]?.commands).toEqual(['sudo systemctl reload nginx', 'systemctl reload nginx']);
    expect(stored[0]?.effective).toEqual(['systemctl reload nginx']);
    const audited = (await store.audit.list({ eventType: 'EXECUTE' })).records;
    expect(audited.map((r) => [r.status, r.command])).toEqual([
      ['S', 'sudo systemctl reload nginx'],
      ['D', 'rm -rf /var/www'],
    ]);
  });

  it('blocks interrupt rules until the N-th attempt, then interrupts; locks after lockAfter matches across sessions', async () => {
    const change = await approvedChange('uptime');
    const first = await openSession(change.code);
    expect((await judgeCommand(deps, first, 'reboot', 'shell')).verdict).toBe('block');
    expect((await judgeCommand(deps, first, 'sudo reboot', 'shell')).verdict).toBe('interrupt');
    expect(await store.accounts.findLock('alice')).toBeNull();
    const second = await openSession(change.code, 'sess-2');
    const third = await judgeCommand(deps, second, 'shutdown now', 'shell');
    expect(third).toMatchObject({ verdict: 'block', lockedBy: 'no-shutdown' });
    expect(await store.accounts.findLock('alice')).toMatchObject({ reason: 'rule no-shutdown matched 3 times (lock after 3)' });
    expect((await store.audit.list({ eventType: 'LOCK' })).records).toMatchObject([{ object: 'alice', class: 'USER' }]);
  });
});

describe('the change audit', () => {
  it('compares the plan with what ran and closes the change as completed or incomplete', async () => {
    const change = await approvedChange('# deploy\ncd /srv/app\ngit pull\nsystemctl restart app\n');
    const scope = await openSession(change.code);
    await judgeCommand(deps, scope, 'cd /srv/app && git pull', 'shell');
    await judgeCommand(deps, scope, 'ls -la', 'shell');
    await judgeCommand(deps, scope, 'rm -rf /srv/app/cache', 'shell');
    const report = await computeChangeAudit(deps, change.code);
    expect(report.audit.planned.map((p) => [p.text, p.status])).toEqual([
      ['cd /srv/app', 'executed'],
      ['git pull', 'executed'],
      ['systemctl restart app', 'missing'],
    ]);
    expect(report.audit.executed.map((e) => [e.line, e.status])).toEqual([
      ['cd /srv/app && git pull', 'planned'],
      ['ls -la', 'extra'],
    ]);
    expect(report.audit.blocked.map((b) => b.line)).toEqual(['rm -rf /srv/app/cache']);
    expect(report.audit.outcome).toBe('incomplete');
    const closed = await closeChange(deps, change.code);
    expect(closed.change).toMatchObject({ status: 'incomplete', outcome: 'incomplete' });
  });

  it('closes as completed with extras when everything ran plus more', async () => {
    const change = await approvedChange('systemctl restart app');
    const scope = await openSession(change.code);
    await judgeCommand(deps, scope, 'sudo systemctl restart app', 'shell');
    await judgeCommand(deps, scope, 'journalctl -u app -n 20', 'shell');
    const closed = await closeChange(deps, change.code);
    expect(closed.change).toMatchObject({ status: 'completed', outcome: 'completed_with_extras' });
    expect(closed.audit?.counts).toMatchObject({ planned: 1, executed: 1, extra: 1 });
  });
});
