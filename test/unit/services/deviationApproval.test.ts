import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../src/domain/audit/auditRecord.js';
import type { Change } from '../../../src/domain/change/change.js';
import type { Session } from '../../../src/domain/session/session.js';
import { computeChangeAudit } from '../../../src/services/changes/changeAudit.js';
import { startChange } from '../../../src/services/changes/changeWindow.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { awaitDeviationDecision } from '../../../src/services/deviations/awaitDeviation.js';
import { decideDeviation } from '../../../src/services/deviations/decideDeviation.js';
import { requestDeviation } from '../../../src/services/deviations/requestDeviation.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { judgeCommand, judgePromptCommand, type ReviewNeeded } from '../../../src/services/sessions/judgeCommand.js';
import { newLiveSession, type LiveSession } from '../../../src/services/sessions/liveSession.js';
import { reviewSessionLine } from '../../../src/services/sessions/reviewSessionLine.js';
import { SessionAlerts } from '../../../src/services/sessions/sessionAlerts.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildPolicy, buildRule } from '../../support/factories.js';
import { RecordingNotifier } from '../../support/recordingNotifier.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;
let alerts: SessionAlerts;

const policy = buildPolicy({ rules: [buildRule({ id: 'review-systemctl', command: ['systemctl'], action: 'review', risk: 'medium' })] });
const alice = { userId: 'alice', terminal: 'slack' };
const bob = { userId: 'bob', terminal: 'slack U01BOB' };

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps, clock } = await serviceHarness(store, { policy }));
  deps.outbox.use({ slackEnabled: true });
  alerts = new SessionAlerts(new RecordingNotifier());
});
afterEach(async () => store.close());

/** An approved change in its window, posted once to the approvals channel, with alice's live session. */
async function liveSession(script = 'systemctl reload nginx'): Promise<{ change: Change; live: LiveSession }> {
  const filed = await registerChange(deps, { title: 't', group: 'web-ops', devices: ['web01'], script, windowStart: new Date(T0.getTime() + HOUR), windowEnd: new Date(T0.getTime() + 2 * HOUR) }, alice);
  await approveChange(deps, filed.code, bob);
  await store.slackMessages.record({ changeCode: filed.code, channel: 'C01APPROVALS', ts: '1700000000.000100', audience: 'role:approvals', postedAt: T0 });
  clock.set(new Date(T0.getTime() + HOUR + 60_000));
  const session: Session = { id: 'sess-1', changeCode: filed.code, user: 'alice', device: 'web01', kind: 'shell', justification: 'planned', clientAddress: '127.0.0.1', startedAt: clock.now(), state: 'active' };
  await store.sessions.create(session);
  const change = await startChange(deps, filed.code, { userId: 'alice', terminal: 'proxy' });
  return { change: change ?? filed, live: newLiveSession({ session, group: 'web-ops', interruptAttempts: new Map() }, change ?? filed) };
}

async function auditRecords(): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const record of store.audit.iterate()) records.push(record);
  return records;
}

async function review(live: LiveSession, line: string): Promise<ReviewNeeded> {
  const judged = await judgePromptCommand(deps, live.scope, line);
  if (judged.verdict !== 'review') throw new Error(`expected ${line} to need review, got ${judged.verdict}`);
  return judged;
}

describe('deviation approval', () => {
  it('runs a reviewed command the approved script has, holds one it does not, and refuses to hold one on exec', async () => {
    const { live } = await liveSession();
    expect((await judgePromptCommand(deps, live.scope, 'sudo systemctl reload nginx')).verdict).toBe('allow');
    const held = await review(live, 'systemctl restart nginx');
    expect(held).toMatchObject({ reviewRuleIds: ['review-systemctl'], record: { verdict: 'allow', line: 'systemctl restart nginx' } });
    // Held means unstored: nothing is recorded until it is decided.
    expect((await store.commands.listBySession('sess-1')).map((c) => c.line)).toEqual(['sudo systemctl reload nginx']);
    const exec = await judgeCommand(deps, live.scope, 'systemctl restart nginx', 'exec');
    expect(exec.verdict).toBe('block');
    expect(exec.message).toContain('needs an approver\'s decision (rule review-systemctl): type it at an interactive prompt');
  });

  it('posts the request in the change\'s thread with its record, and lets only another approver decide, once', async () => {
    const { change, live } = await liveSession();
    const request = await requestDeviation(deps, live, await review(live, 'systemctl restart nginx'), 300_000);
    expect(request).toMatchObject({ status: 'pending', requester: 'alice', changeCode: change.code, expiresAt: new Date(clock.now().getTime() + 300_000) });
    const replies = (await store.outbox.list({ limit: 50 })).filter((row) => row.type === 'deviation.requested');
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ channel: 'C01APPROVALS', placement: { kind: 'post', threadTs: '1700000000.000100' }, status: 'pending' });
    expect(replies[0]?.payload).toMatchObject({ details: { deviation: request.id }, command: { line: 'systemctl restart nginx' } });

    // The requester (four eyes) and someone who is no approver are refused, and the refusals audited.
    await expect(decideDeviation(deps, request.id, alice, 'allow')).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(decideDeviation(deps, request.id, { userId: 'erin', terminal: 'web' }, 'allow')).rejects.toMatchObject({ kind: 'forbidden' });
    const allowed = await decideDeviation(deps, request.id, bob, 'allow');
    expect(allowed).toMatchObject({ status: 'allowed', decidedBy: 'bob' });
    const late = decideDeviation(deps, request.id, { userId: 'carol', terminal: 'web' }, 'deny');
    await expect(late).rejects.toBeInstanceOf(ServiceError);
    await expect(late).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining('was allowed already') });

    const deviationRecords = (await auditRecords()).filter((r) => r.eventType.startsWith('DEVIATION_')).map((r) => [r.eventType, r.status, r.actor]);
    expect(deviationRecords).toEqual([
      ['DEVIATION_REQUEST', 'S', 'alice'],
      ['DEVIATION_ALLOW', 'D', 'alice'],
      ['DEVIATION_ALLOW', 'D', 'erin'],
      ['DEVIATION_ALLOW', 'S', 'bob'],
      ['DEVIATION_DENY', 'D', 'carol'],
    ]);
    expect((await store.outbox.list({ limit: 50 })).filter((row) => row.type === 'deviation.decided')).toHaveLength(1);
  });

  it('runs the command once allowed from elsewhere, and the change audit shows it as an approved deviation', async () => {
    const { change, live } = await liveSession();
    const judgement = await reviewSessionLine(deps, alerts, live, await review(live, 'systemctl restart nginx'), {
      timeoutMs: 300_000,
      cancel: new AbortController().signal,
      pollMs: 5,
      onWaiting: (request) => void decideDeviation(deps, request.id, bob, 'allow'),
    });
    expect(judgement).toMatchObject({ verdict: 'allow', stored: true, record: { reason: 'approved deviation: allowed once by bob' } });
    const [record] = await store.commands.listBySession('sess-1');
    expect(record).toMatchObject({ id: judgement.record.id, verdict: 'allow', line: 'systemctl restart nginx' });
    const report = await computeChangeAudit(deps, change.code);
    expect(report.audit.executed.map((e) => [e.line, e.status, e.approvedBy])).toEqual([['systemctl restart nginx', 'deviation', 'bob']]);
    expect(report.audit.counts).toMatchObject({ deviations: 1, extra: 0 });
  });

  it('denies on timeout and on Ctrl-C, storing the command as blocked, each step audited', async () => {
    const { change, live } = await liveSession();
    const timedOut = await reviewSessionLine(deps, alerts, live, await review(live, 'systemctl restart nginx'), {
      timeoutMs: 1000,
      cancel: new AbortController().signal,
      pollMs: 5,
      onWaiting: () => clock.advance(1000),
    });
    expect(timedOut).toMatchObject({ verdict: 'block', message: expect.stringContaining('no approver decided in time') });
    clock.advance(1000);
    const cancel = new AbortController();
    const cancelled = await reviewSessionLine(deps, alerts, live, await review(live, 'systemctl stop nginx'), { timeoutMs: 300_000, cancel: cancel.signal, pollMs: 5, onWaiting: () => cancel.abort() });
    expect(cancelled).toMatchObject({ verdict: 'block', message: 'deviation request cancelled: it was not run' });
    clock.advance(1000);
    const denied = await reviewSessionLine(deps, alerts, live, await review(live, 'systemctl mask nginx'), {
      timeoutMs: 300_000,
      cancel: new AbortController().signal,
      pollMs: 5,
      onWaiting: (request) => void decideDeviation(deps, request.id, bob, 'deny'),
    });
    expect(denied).toMatchObject({ verdict: 'block', message: 'deviation denied by bob: it was not run' });

    expect((await store.deviations.listByChange(change.code)).map((d) => [d.line, d.status, d.decidedBy])).toEqual([
      ['systemctl restart nginx', 'timed_out', 'system'],
      ['systemctl stop nginx', 'cancelled', 'alice'],
      ['systemctl mask nginx', 'denied', 'bob'],
    ]);
    expect((await store.commands.listBySession('sess-1')).map((c) => [c.line, c.verdict])).toEqual([
      ['systemctl restart nginx', 'block'],
      ['systemctl stop nginx', 'block'],
      ['systemctl mask nginx', 'block'],
    ]);
    const events = (await auditRecords()).filter((r) => r.eventType.startsWith('DEVIATION_')).map((r) => `${r.eventType}:${r.status}`);
    expect(events).toEqual(['DEVIATION_REQUEST:S', 'DEVIATION_TIMEOUT:D', 'DEVIATION_REQUEST:S', 'DEVIATION_CANCEL:S', 'DEVIATION_REQUEST:S', 'DEVIATION_DENY:S']);
    // A decision after the timeout changes nothing.
    const [first] = await store.deviations.listByChange(change.code);
    await expect(decideDeviation(deps, first!.id, bob, 'allow')).rejects.toMatchObject({ kind: 'conflict' });
    expect((await computeChangeAudit(deps, change.code)).audit.blocked).toHaveLength(3);
  });

  it('waits only while the request is pending: a decision taken before the wait is seen at once', async () => {
    const { live } = await liveSession();
    const request = await requestDeviation(deps, live, await review(live, 'systemctl restart nginx'), 300_000);
    await decideDeviation(deps, request.id, bob, 'deny');
    expect(await awaitDeviationDecision(deps, live, request, new AbortController().signal, 5)).toMatchObject({ status: 'denied', decidedBy: 'bob' });
  });
});
