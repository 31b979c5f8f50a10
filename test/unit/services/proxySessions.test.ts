import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change } from '../../../src/domain/change/change.js';
import { parseLoginName } from '../../../src/domain/session/loginName.js';
import { keyBlobOf, keyFingerprint } from '../../../src/domain/session/publicKeys.js';
import { sessionRefusal } from '../../../src/domain/session/sessionAdmission.js';
import { identifyProxyUser } from '../../../src/services/sessions/identifyProxyUser.js';
import { checkProgramInput, judgeExecCommand, judgeSessionLine, STORE_OUTAGE_MESSAGE } from '../../../src/services/sessions/judgeSessionLine.js';
import { newLiveSession, type LiveSession } from '../../../src/services/sessions/liveSession.js';
import { authoriseSession, listSessionTargets, openSession } from '../../../src/services/sessions/openSession.js';
import { SessionAlerts } from '../../../src/services/sessions/sessionAlerts.js';
import { terminateSession } from '../../../src/services/sessions/sessionControl.js';
import { endSession, recoverAbandonedSessions, reviewLiveSessions } from '../../../src/services/sessions/superviseSessions.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildChange, buildGroup, buildPolicy, buildRule, buildUser } from '../../support/factories.js';
import { RecordingNotifier } from '../../support/proxyHarness.js';
import { storedNotifications } from '../../support/storedNotifications.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';
import { generateEd25519KeyPair } from '../../../src/proxy/hostKey.js';

const aliceKey = generateEd25519KeyPair('alice');
const otherKey = generateEd25519KeyPair();
const blob = (publicLine: string) => keyBlobOf(publicLine)!;

const policy = buildPolicy({
  users: [
    buildUser({ id: 'alice', sshKeys: [aliceKey.public] }),
    buildUser({ id: 'dave' }),
    buildUser({ id: 'bob', roles: ['approver'] }),
    buildUser({ id: 'erin', roles: ['auditor'] }),
    buildUser({ id: 'sam', roles: ['security'] }),
  ],
  groups: [buildGroup({ members: ['alice', 'dave'] })],
  rules: [
    buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' }),
    buildRule({ id: 'only-listed', command: ['ls', 'cat'], action: 'force', scope: { devices: ['web02'] } }),
    buildRule({ id: 'sudo-audit', command: ['sudo'], action: 'allow', risk: 'medium' }),
    buildRule({ id: 'journal-watch', command: ['journalctl'], action: 'allow', risk: 'low' }),
  ],
});

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;
let notifier: RecordingNotifier;
let alerts: SessionAlerts;

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps, clock } = await serviceHarness(store, { policy }));
  clock.set(new Date(T0.getTime() + HOUR + 60_000));
  notifier = new RecordingNotifier();
  alerts = new SessionAlerts(notifier);
});
afterEach(async () => {
  await store.close();
});

async function approved(overrides: Partial<Change> = {}): Promise<Change> {
  const change = buildChange({ status: 'approved', ...overrides });
  await store.changes.create(change);
  return change;
}

const request = (overrides: Partial<{ user: string; changeCode: string; device: string }> = {}) => ({
  user: 'alice',
  changeCode: 'CHG-1',
  device: 'web01',
  clientAddress: '10.0.0.9',
  ...overrides,
});

async function opened(device = 'web01'): Promise<LiveSession> {
  const { session, grant } = await openSession(deps, alerts, { ...request({ device }), kind: 'shell', justification: 'restart nginx', owner: 'proc-a' });
  return newLiveSession({ session, group: grant.change.group, interruptAttempts: new Map() }, grant.change);
}

describe('login names and keys', () => {
  it('parses user, user+CHANGE and user+CHANGE+server, refusing anything else', () => {
    expect(parseLoginName('alice')).toEqual({ ok: true, login: { user: 'alice' } });
    expect(parseLoginName('alice+chg-42')).toEqual({ ok: true, login: { user: 'alice', changeCode: 'CHG-42' } });
    expect(parseLoginName('alice+CHG-42+web01')).toEqual({ ok: true, login: { user: 'alice', changeCode: 'CHG-42', device: 'web01' } });
    expect(parseLoginName('alice+CHG-42+web01+x')).toMatchObject({ ok: false });
    expect(parseLoginName('alice+42+web01')).toMatchObject({ ok: false, message: 'login name "alice+42+web01": "42" is not a change code like CHG-42' });
    expect(parseLoginName('al ice')).toMatchObject({ ok: false });
  });

  it('fingerprints keys as ssh-keygen does and refuses lines whose type and blob disagree', () => {
    const key = blob(aliceKey.public);
    expect(keyFingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const [, base64] = aliceKey.public.split(' ');
    expect(keyBlobOf(`ssh-rsa ${base64}`)).toBeNull();
    expect(keyBlobOf('not a key')).toBeNull();
  });

  it('identifies a user by a policy key or a registered key; refuses other keys and locked users', async () => {
    expect(await identifyProxyUser(deps, 'alice+CHG-1+web01', blob(aliceKey.public), '10.0.0.9', { audit: true })).toMatchObject({ ok: true, user: { id: 'alice' } });
    expect(await identifyProxyUser(deps, 'dave', blob(otherKey.public), '10.0.0.9', { audit: true })).toMatchObject({ ok: false, reason: 'unknown_key' });
    await store.accounts.addKey({ user: 'dave', fingerprint: keyFingerprint(blob(otherKey.public)), publicKey: otherKey.public, addedAt: T0 });
    expect(await identifyProxyUser(deps, 'dave', blob(otherKey.public), '10.0.0.9', { audit: true })).toMatchObject({ ok: true, user: { id: 'dave' } });
    expect(await identifyProxyUser(deps, 'alice', blob(otherKey.public), '10.0.0.9', { audit: true })).toMatchObject({ ok: false, reason: 'unknown_key' });
    await store.accounts.lock({ user: 'alice', at: T0, reason: 'investigation', by: 'sam' });
    expect(await identifyProxyUser(deps, 'alice', blob(aliceKey.public), '10.0.0.9', { audit: true })).toMatchObject({ ok: false, reason: 'locked' });
    expect(await identifyProxyUser(deps, 'zoe', blob(aliceKey.public), '10.0.0.9', { audit: false })).toMatchObject({ ok: false, reason: 'unknown_user' });
    const audited = (await store.audit.list({ eventType: 'LOGIN' })).records.map((r) => [r.status, r.reason]);
    expect(audited).toEqual([['D', 'alice is locked: investigation']]);
  });
});

describe('opening a session', () => {
  it('explains in one line why a change does not admit a session', () => {
    const now = new Date(T0.getTime() + HOUR + 60_000);
    const group = buildGroup({ members: ['alice', 'dave'] });
    const refusal = (overrides: Partial<Change>, user = 'alice', device = 'web01') =>
      sessionRefusal(buildChange({ status: 'approved', ...overrides }), group, buildUser({ id: user }), device, now);
    expect(refusal({})).toBeNull();
    // A member of the group is not enough: only the requester and the executors named on the change.
    expect(refusal({}, 'dave')).toBe('you are not the requester of CHG-1 nor named on it to carry it out');
    expect(refusal({ executors: ['dave'] }, 'dave')).toBeNull();
    expect(refusal({}, 'mallory')).toBe('you are not the requester of CHG-1 nor named on it to carry it out');
    expect(refusal({ status: 'pending_approval' })).toBe('CHG-1 is not approved yet');
    expect(refusal({ status: 'cancelled' })).toBe('CHG-1 was cancelled');
    expect(refusal({ status: 'expired' })).toBe('CHG-1 expired');
    expect(refusal({ status: 'completed' })).toBe('CHG-1 is closed (completed)');
    expect(refusal({ status: 'revoked', revocation: { by: 'bob', at: now, reason: 'freeze' } })).toBe('CHG-1 was revoked by bob: freeze');
    expect(refusal({ windowStart: new Date(now.getTime() + 1000) })).toBe(`CHG-1's window opens at ${new Date(now.getTime() + 1000).toISOString()}`);
    expect(refusal({ windowEnd: now })).toBe(`CHG-1's window ended at ${now.toISOString()}`);
    expect(refusal({}, 'alice', 'web02')).toBe('CHG-1 does not cover web02 (it covers web01)');
  });

  it('authorises, and audits each refusal with its reason', async () => {
    await approved();
    expect(await authoriseSession(deps, request())).toMatchObject({ change: { code: 'CHG-1' }, device: { id: 'web01' }, user: { id: 'alice' } });
    const refusal = await authoriseSession(deps, request({ device: 'web02' })).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ServiceError);
    expect((refusal as ServiceError).message).toBe('CHG-1 does not cover web02 (it covers web01)');
    expect(((await authoriseSession(deps, request({ changeCode: 'chg-9' })).catch((e: unknown) => e)) as ServiceError).kind).toBe('not_found');
    const audited = (await store.audit.list({ eventType: 'OPEN' })).records.map((r) => [r.status, r.change, r.reason]);
    expect(audited).toEqual([
      ['D', 'CHG-1', 'CHG-1 does not cover web02 (it covers web01)'],
      ['D', 'CHG-9', 'no change CHG-9'],
    ]);
  });

  it('lists what is open to a user now', async () => {
    await approved({ devices: ['web01', 'web02'] });
    await approved({ code: 'CHG-2', windowStart: new Date(T0.getTime() + 5 * HOUR), windowEnd: new Date(T0.getTime() + 6 * HOUR) });
    await approved({ code: 'CHG-3', status: 'pending_approval' });
    expect((await listSessionTargets(deps, 'alice')).map((t) => [t.change.code, t.device])).toEqual([
      ['CHG-1', 'web01'],
      ['CHG-1', 'web02'],
    ]);
    expect(await listSessionTargets(deps, 'mallory')).toEqual([]);
    expect((await listSessionTargets(deps, 'alice', 'chg-1')).length).toBe(2);
  });

  it('stores the session with its justification, starts the change, audits and notifies', async () => {
    await approved();
    const invalid = await openSession(deps, alerts, { ...request(), kind: 'shell', justification: ' x ', owner: 'proc-a' }).catch((e: unknown) => e);
    expect((invalid as ServiceError).fields).toEqual({ justification: 'a justification of at least 3 characters is required' });
    const live = await opened();
    expect(await store.sessions.findById(live.scope.session.id)).toMatchObject({ state: 'active', justification: 'restart nginx', owner: 'proc-a', clientAddress: '10.0.0.9' });
    expect(await store.changes.findByCode('CHG-1')).toMatchObject({ status: 'in_progress' });
    expect((await store.audit.list({ eventType: 'OPEN', status: 'S' })).records).toMatchObject([{ reason: 'restart nginx', object: live.scope.session.id }]);
    // Written with the session (one commit), not raised on the side.
    expect(await storedNotifications(store, { types: ['session.started'] })).toMatchObject([{ type: 'session.started', audience: [{ role: 'security' }], data: { session: { justification: 'restart nginx' } } }]);
  });
});

describe('judging session lines', () => {
  it('raises one alert per blocked command (its criticality shown in it), and the high-risk session alert once', async () => {
    await approved();
    const live = await opened();
    for (const line of ['rm -rf /a', 'rm -rf /b', 'ls']) await judgeSessionLine(deps, alerts, live, line, 'shell');
    const types = notifier.types().filter((t) => t !== 'session.started');
    expect(types).toEqual(['command.block', 'session.high_risk', 'command.block']);
    expect(notifier.sent.find((n) => n.type === 'command.block')).toMatchObject({ data: { command: { verdict: 'block', risk: 'high' } } });
  });

  it('raises one post per audited command that ran, named by its rule\'s criticality, nothing for the rest', async () => {
    await approved();
    const live = await opened();
    notifier.sent.length = 0;
    await judgeSessionLine(deps, alerts, live, 'sudo systemctl status nginx', 'shell');
    expect(notifier.types()).toEqual(['command.medium_criticality']);
    expect(notifier.sent[0]).toMatchObject({ audience: [{ role: 'security' }], data: { command: { line: 'sudo systemctl status nginx', verdict: 'allow', rules: ['sudo-audit'] } } });
    notifier.sent.length = 0;
    await judgeSessionLine(deps, alerts, live, 'journalctl -u nginx', 'shell');
    // A low-risk audited command is "Command detected - Allow": criticality posts are for medium and high.
    expect(notifier.types()).toEqual(['command.allow']);
    notifier.sent.length = 0;
    await judgeSessionLine(deps, alerts, live, 'uptime', 'shell');
    expect(notifier.sent).toEqual([]);
  });

  it('checks lines typed into a running program against block rules only', async () => {
    await approved({ devices: ['web02'] });
    const live = await opened('web02');
    // Force is in scope on web02, but program input is data, not a command line.
    expect(await checkProgramInput(deps, alerts, live, 'y')).toBeNull();
    expect(await checkProgramInput(deps, alerts, live, 'SELECT * FROM t;')).toBeNull();
    const denied = await checkProgramInput(deps, alerts, live, 'rm -rf /srv');
    expect(denied).toMatchObject({ verdict: 'block', stored: true });
    expect((await store.commands.listBySession(live.scope.session.id)).map((c) => c.line)).toEqual(['rm -rf /srv']);
  });

  it('refuses exec commands that start a shell or interpreter reading the connection', async () => {
    await approved();
    const live = await opened();
    for (const line of ['bash', 'sudo -s', 'python3', 'sh -s -- arg']) {
      expect((await judgeExecCommand(deps, alerts, live, line)).verdict, line).toBe('block');
    }
    for (const line of ["bash -c 'uptime'", 'uptime']) {
      expect((await judgeExecCommand(deps, alerts, live, line)).verdict, line).toBe('allow');
    }
    // A script is opaque like any code changeguard cannot read (settings.opaque, block here).
    expect((await judgeExecCommand(deps, alerts, live, 'python3 script.py')).verdict).toBe('block');
    expect((await store.commands.listBySession(live.scope.session.id)).filter((c) => c.verdict === 'block').map((c) => c.ruleIds)).toEqual([
      ['(opaque)'],
      ['(opaque)'],
      ['(opaque)'],
      ['(opaque)'],
      ['(opaque)'],
    ]);
  });

  it('blocks while the store is unreachable, or judges on the last policy when set to allow', async () => {
    await approved();
    const live = await opened();
    await judgeSessionLine(deps, alerts, live, 'ls', 'shell');
    await store.close();
    expect(await judgeSessionLine(deps, alerts, live, 'ls', 'shell')).toMatchObject({ verdict: 'block', message: STORE_OUTAGE_MESSAGE, stored: false });
    expect(await judgeSessionLine(deps, alerts, live, 'ls', 'shell', 'allow')).toMatchObject({ verdict: 'allow', stored: false });
    expect(await judgeSessionLine(deps, alerts, live, 'rm -r /x', 'shell', 'allow')).toMatchObject({ verdict: 'block', stored: false });
  });
});

describe('supervising live sessions', () => {
  it('names the sessions that must end: terminated elsewhere, change revoked, window over, user locked', async () => {
    await approved();
    const first = await opened();
    const second = await opened();
    expect(await reviewLiveSessions(deps, 'proc-a', [first, second])).toEqual([]);
    await terminateSession(deps, first.scope.session.id, { userId: 'sam', terminal: 'slack' }, 'suspicious');
    expect(await reviewLiveSessions(deps, 'proc-a', [first, second])).toEqual([{ sessionId: first.scope.session.id, reason: 'session terminated: suspicious' }]);
    await store.accounts.lock({ user: 'alice', at: T0, reason: 'too many refusals', by: 'system' });
    expect(await reviewLiveSessions(deps, 'proc-a', [second])).toEqual([{ sessionId: second.scope.session.id, reason: 'your account was locked: too many refusals' }]);
    await store.accounts.unlock('alice');
    clock.set(new Date(T0.getTime() + 3 * HOUR));
    expect(await reviewLiveSessions(deps, 'proc-a', [second])).toEqual([
      { sessionId: second.scope.session.id, reason: `CHG-1's window ended at ${new Date(T0.getTime() + 3 * HOUR).toISOString()}` },
    ]);
  });

  it('records a session\'s end once, and closes what an earlier run left open', async () => {
    await approved();
    const live = await opened();
    const ended = await endSession(deps, alerts, live, 'interrupted', 'rule no-shutdown');
    expect(ended).toMatchObject({ state: 'interrupted', endReason: 'rule no-shutdown' });
    expect(await endSession(deps, alerts, live, 'ended', 'again')).toMatchObject({ state: 'interrupted' });
    expect((await store.audit.list({ eventType: 'INTERRUPT' })).total).toBe(1);
    const abandoned = await opened();
    expect((await recoverAbandonedSessions(deps, 'proc-b')).length).toBe(0);
    expect(await recoverAbandonedSessions(deps, 'proc-a')).toMatchObject([{ id: abandoned.scope.session.id, state: 'ended_abnormally' }]);
  });
});
