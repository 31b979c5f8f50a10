import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assessSessionRisk } from '../../../src/domain/session/sessionRisk.js';
import { closeChange, startChange } from '../../../src/services/changes/changeWindow.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { buildPeriodReport } from '../../../src/services/reports/periodReport.js';
import { judgeCommand } from '../../../src/services/sessions/judgeCommand.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildPolicy, buildRule } from '../../support/factories.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;
const policy = buildPolicy({
  rules: [
    buildRule({ id: 'no-rm', command: ['rm'], action: 'block', risk: 'high' }),
    buildRule({ id: 'no-reboot', command: ['reboot'], action: 'interrupt', risk: 'medium' }),
  ],
});

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps, clock } = await serviceHarness(store, { policy }));
});
afterEach(async () => {
  await store.close();
});

async function runChange(lines: string[], sessionId: string) {
  const change = await registerChange(
    deps,
    { title: `change ${sessionId}`, group: 'web-ops', devices: ['web01'], script: 'uptime', windowStart: new Date(T0.getTime() + HOUR), windowEnd: new Date(T0.getTime() + 2 * HOUR) },
    { userId: 'alice', terminal: 'test' },
  );
  await approveChange(deps, change.code, { userId: 'bob', terminal: 'test' });
  clock.set(new Date(T0.getTime() + HOUR + 1000));
  const session = { id: sessionId, changeCode: change.code, user: 'alice', device: 'web01', kind: 'shell' as const, justification: 'j', clientAddress: '127.0.0.1', startedAt: clock.now(), state: 'active' as const };
  await store.sessions.create(session);
  await startChange(deps, change.code, { userId: 'alice', terminal: 'test' });
  for (const line of lines) await judgeCommand(deps, { session, group: 'web-ops', interruptAttempts: new Map() }, line, 'shell');
  clock.set(change.windowEnd);
  await closeChange(deps, change.code);
  clock.set(T0);
  return change;
}

describe('period report', () => {
  it('summarises changes, refusals by rule and user, high-risk sessions, locks and the chain', async () => {
    await runChange(['uptime'], 's1');
    await runChange(['rm -rf /tmp/x', 'reboot', 'uptime'], 's2');
    await store.accounts.lock({ user: 'alice', at: T0, reason: 'test', by: 'sam' });
    clock.set(new Date(T0.getTime() + 10 * HOUR));
    const report = await buildPeriodReport(deps, { since: T0, until: new Date(T0.getTime() + 10 * HOUR) });
    expect(report.changes).toMatchObject({ total: 2, byStatus: { completed: 2 }, byOutcome: { completed: 2 } });
    expect(report.commands).toMatchObject({
      total: 4,
      blocked: 1,
      interrupted: 1,
      refusalsByRule: [
        { rule: 'no-reboot', count: 1 },
        { rule: 'no-rm', count: 1 },
      ],
      refusalsByUser: [{ user: 'alice', blocked: 1, interrupted: 1 }],
    });
    expect(report.sessions.highRisk).toEqual([{ id: 's2', change: 'CHG-2', user: 'alice', device: 'web01', reasons: ['1 high-criticality command', 'interrupted by a rule'] }]);
    expect(report.lockedUsers.map((l) => l.user)).toEqual(['alice']);
    expect(report.chain.ok).toBe(true);
  });

  it('leaves out what happened outside the period', async () => {
    await runChange(['uptime'], 's1');
    const report = await buildPeriodReport(deps, { since: new Date(T0.getTime() + 5 * HOUR), until: new Date(T0.getTime() + 6 * HOUR) });
    expect(report.changes.total).toBe(0);
    expect(report.commands.total).toBe(0);
  });

  it('refuses an empty or reversed period', async () => {
    const error = await buildPeriodReport(deps, { since: T0, until: T0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).message).toBe('the report period must end after it starts');
  });
});

describe('session risk', () => {
  it('is high for high-criticality commands, interrupts or repeated refusals', () => {
    const base = { id: 'c', sessionId: 's', changeCode: 'C', user: 'u', device: 'd', at: T0, source: 'shell' as const, line: 'x', commands: [], effective: [], ruleIds: [] };
    expect(assessSessionRisk([])).toEqual({ risk: null, reasons: [] });
    expect(assessSessionRisk([{ ...base, verdict: 'allow', risk: 'low' }]).risk).toBe('low');
    expect(assessSessionRisk([{ ...base, verdict: 'block', risk: null }]).risk).toBe('medium');
    expect(assessSessionRisk(Array.from({ length: 3 }, () => ({ ...base, verdict: 'block' as const, risk: null })))).toEqual({ risk: 'high', reasons: ['3 commands refused'] });
  });
});
