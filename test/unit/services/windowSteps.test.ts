import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change } from '../../../src/domain/change/change.js';
import type { Session } from '../../../src/domain/session/session.js';
import { announceWindowOpen } from '../../../src/services/changes/announceWindowOpen.js';
import type { DomainEvent } from '../../../src/services/domainEvents.js';
import { startChange } from '../../../src/services/changes/changeWindow.js';
import { WINDOW_CLOSED_REASON, closeChangeWindow } from '../../../src/services/changes/closeChangeWindow.js';
import { expireUnapprovedChange } from '../../../src/services/changes/expireUnapprovedChange.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { approveChange, revokeChange } from '../../../src/services/changes/reviewChange.js';
import { warnWindowExpiring } from '../../../src/services/changes/warnWindowExpiring.js';
import { judgeCommand } from '../../../src/services/sessions/judgeCommand.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildGroup, buildPolicy } from '../../support/factories.js';
import { RecordingNotifier } from '../../support/recordingNotifier.js';
import { storedNotifications } from '../../support/storedNotifications.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';

const alice = { userId: 'alice', terminal: 'slack' };
const bob = { userId: 'bob', terminal: 'slack' };
const MINUTE = 60_000;
const START = new Date(T0.getTime() + HOUR);
const END = new Date(T0.getTime() + 3 * HOUR);
const policy = buildPolicy({ groups: [buildGroup({ channel: 'C01WEBOPS' })], channels: { audit: 'C01AUDIT' } });

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;
let notifier: RecordingNotifier;

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps, clock } = await serviceHarness(store, { policy }));
  notifier = new RecordingNotifier();
});
afterEach(async () => {
  await store.close();
});

/** Window summaries stored for the audit channel (the close writes them with the change). */
async function summaries() {
  return (await storedNotifications(store, { types: ['window.closed'] })).filter((n) => n.audience.some((a) => 'role' in a && a.role === 'audit'));
}

async function fileChange(window: { start?: Date; end?: Date } = {}): Promise<Change> {
  return registerChange(
    deps,
    {
      title: 'Restart nginx',
      group: 'web-ops',
      devices: ['web01'],
      script: 'systemctl restart nginx\ntail -n 50 /var/log/nginx/error.log',
      windowStart: window.start ?? START,
      windowEnd: window.end ?? END,
    },
    alice,
  );
}

async function approvedChange(): Promise<Change> {
  const change = await fileChange();
  return (await approveChange(deps, change.code, bob)).change;
}

/** Opens a session at the clock's time (the first one starts the change) and runs `lines` in it. */
async function workIn(change: Change, id: string, lines: string[]): Promise<Session> {
  const session: Session = { id, changeCode: change.code, user: 'alice', device: 'web01', kind: 'shell', justification: 'planned', clientAddress: '127.0.0.1', startedAt: clock.now(), state: 'active' };
  await store.sessions.create(session);
  await startChange(deps, change.code, alice);
  for (const line of lines) await judgeCommand(deps, { session, group: 'web-ops', interruptAttempts: new Map() }, line, 'shell');
  return session;
}

describe('window-open', () => {
  it('tells the requester and the group channel once the window of an approved change opens', async () => {
    const change = await approvedChange();
    expect(await announceWindowOpen(deps, notifier, change.code)).toMatchObject({ done: false, skipped: expect.stringMatching(/opens at/) });
    clock.set(START);
    expect(await announceWindowOpen(deps, notifier, change.code)).toEqual({ done: true });
    expect(notifier.sent).toEqual([
      {
        type: 'window.opened',
        audience: [{ user: 'alice' }, { slackChannel: 'C01WEBOPS' }],
        data: { change: expect.objectContaining({ code: change.code, status: 'approved', windowEnd: END.toISOString() }) },
        dedupeKey: `window.opened:${change.code}:${START.toISOString()}`,
      },
    ]);
  });

  it('does nothing for a change that is not approved, or once the window ended', async () => {
    const pending = await fileChange();
    clock.set(START);
    expect(await announceWindowOpen(deps, notifier, pending.code)).toMatchObject({ done: false, skipped: `${pending.code} is pending_approval` });
    await approveChange(deps, pending.code, bob);
    clock.set(END);
    expect(await announceWindowOpen(deps, notifier, pending.code)).toMatchObject({ done: false, skipped: expect.stringMatching(/ended/) });
    expect(notifier.sent).toEqual([]);
  });
});

describe('window-expiring', () => {
  it('warns the requester before the end only while a session is open', async () => {
    const change = await approvedChange();
    clock.set(new Date(END.getTime() - 15 * MINUTE));
    expect(await warnWindowExpiring(deps, notifier, change.code, { leadMs: 15 * MINUTE })).toMatchObject({ done: false, skipped: `${change.code} has no open session` });
    clock.set(new Date(START.getTime() + MINUTE));
    await workIn(change, 's1', ['uptime']);
    expect(await warnWindowExpiring(deps, notifier, change.code, { leadMs: 15 * MINUTE })).toMatchObject({ done: false, skipped: expect.stringMatching(/too early/) });
    clock.set(new Date(END.getTime() - 14 * MINUTE - 30_000));
    expect(await warnWindowExpiring(deps, notifier, change.code, { leadMs: 15 * MINUTE })).toEqual({ done: true });
    expect(notifier.sent).toMatchObject([
      {
        type: 'window.expiring',
        audience: [{ user: 'alice' }],
        data: { change: { code: change.code, status: 'in_progress' }, details: { minutesLeft: 15, activeSessions: 1 } },
        dedupeKey: `window.expiring:${change.code}:${END.toISOString()}`,
      },
    ]);
  });
});

describe('window-close', () => {
  it('cuts live sessions, audits the script and reports completed to the audit channel', async () => {
    const change = await approvedChange();
    clock.set(new Date(START.getTime() + MINUTE));
    await workIn(change, 's1', ['systemctl restart nginx', 'tail -n 50 /var/log/nginx/error.log']);
    clock.set(new Date(END.getTime() - MINUTE));
    expect(await closeChangeWindow(deps, change.code)).toMatchObject({ done: false, skipped: expect.stringMatching(/ends at/) });
    expect((await store.sessions.findById('s1'))?.state).toBe('active');

    clock.set(END);
    expect(await closeChangeWindow(deps, change.code)).toEqual({ done: true });
    expect(await store.sessions.findById('s1')).toMatchObject({ state: 'terminated', endReason: WINDOW_CLOSED_REASON });
    expect(await store.changes.findByCode(change.code)).toMatchObject({ status: 'completed', outcome: 'completed' });
    expect(await summaries()).toMatchObject([
      {
        type: 'window.closed',
        audience: [{ role: 'audit' }],
        data: {
          change: expect.objectContaining({ code: change.code, status: 'completed' }),
          details: { status: 'completed', outcome: 'completed', planned: 2, executed: 2, missing: 0, partial: 0, extra: 0, blocked: 0, terminatedSessions: 1 },
        },
        dedupeKey: `window.closed:${change.code}`,
      },
    ]);
    expect((await store.audit.list({ eventType: 'TERMINATE' })).records).toMatchObject([{ object: 's1', actor: 'system', reason: WINDOW_CLOSED_REASON }]);
  });

  it('tells apart completed with extras, incomplete, and expired when no session ran', async () => {
    const extras = await approvedChange();
    const partial = await approvedChange();
    const idle = await approvedChange();
    clock.set(new Date(START.getTime() + MINUTE));
    await workIn(extras, 's-extras', ['systemctl restart nginx', 'tail -n 50 /var/log/nginx/error.log', 'df -h']);
    await workIn(partial, 's-partial', ['systemctl restart nginx']);
    clock.set(END);
    for (const change of [extras, partial, idle]) await closeChangeWindow(deps, change.code);
    const outcomes = Object.fromEntries((await summaries()).map((n) => [n.data.change?.code, n.data.details]));
    expect(outcomes[extras.code]).toMatchObject({ status: 'completed', outcome: 'completed with extras', extra: 1 });
    expect(outcomes[partial.code]).toMatchObject({ status: 'incomplete', outcome: 'incomplete', missing: 1 });
    expect(outcomes[idle.code]).toMatchObject({ status: 'expired', outcome: 'expired', planned: 0 });
    expect((await store.changes.findByCode(idle.code))?.status).toBe('expired');
  });

  it('is safe to run twice: the second run changes nothing and posts nothing more', async () => {
    const change = await approvedChange();
    clock.set(new Date(START.getTime() + MINUTE));
    await workIn(change, 's1', ['systemctl restart nginx']);
    clock.set(END);
    await closeChangeWindow(deps, change.code);
    const after = await store.changes.findByCode(change.code);
    const records = (await store.audit.list({})).total;
    expect(await closeChangeWindow(deps, change.code)).toMatchObject({ done: false, skipped: `${change.code} is incomplete` });
    expect(await store.changes.findByCode(change.code)).toEqual(after);
    expect((await store.audit.list({})).total).toBe(records);
    expect((await summaries()).map((n) => n.dedupeKey)).toEqual([`window.closed:${change.code}`]);
  });

  it('leaves a revoked change alone', async () => {
    const change = await approvedChange();
    await revokeChange(deps, change.code, bob, 'freeze');
    clock.set(END);
    expect(await closeChangeWindow(deps, change.code)).toMatchObject({ done: false, skipped: `${change.code} is revoked` });
    expect(await summaries()).toEqual([]);
  });
});

describe('approval-expire', () => {
  it('expires a request still pending when its window opens, once, raising change.expired for the requester', async () => {
    const events: DomainEvent[] = [];
    deps.events.subscribe((event) => void events.push(event));
    const change = await fileChange();
    clock.set(new Date(START.getTime() - 1));
    expect(await expireUnapprovedChange(deps, change.code)).toMatchObject({ done: false, skipped: expect.stringMatching(/may be approved until/) });
    clock.set(START);
    expect(await expireUnapprovedChange(deps, change.code)).toEqual({ done: true });
    expect((await store.changes.findByCode(change.code))?.status).toBe('expired');
    expect(await expireUnapprovedChange(deps, change.code)).toMatchObject({ done: false });
    expect(events.filter((e) => e.type === 'change.expired')).toMatchObject([{ change: { code: change.code, requester: 'alice' } }]);
    expect((await store.audit.list({ eventType: 'EXPIRE' })).records).toMatchObject([{ actor: 'system', details: 'not approved before the window opened' }]);
  });

  it('leaves an approved change alone, and gives a change filed inside its window until the end', async () => {
    const approved = await approvedChange();
    clock.set(START);
    expect(await expireUnapprovedChange(deps, approved.code)).toMatchObject({ done: false, skipped: `${approved.code} is approved` });
    const late = await fileChange({ start: new Date(START.getTime() - 30 * MINUTE) });
    clock.set(new Date(END.getTime() - 1));
    expect(await expireUnapprovedChange(deps, late.code)).toMatchObject({ done: false });
    clock.set(END);
    expect(await expireUnapprovedChange(deps, late.code)).toEqual({ done: true });
  });
});
