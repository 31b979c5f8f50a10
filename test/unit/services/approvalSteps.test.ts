import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change } from '../../../src/domain/change/change.js';
import { startChange } from '../../../src/services/changes/changeWindow.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { remindApprovers } from '../../../src/services/changes/remindApprovers.js';
import { rescheduleChange } from '../../../src/services/changes/rescheduleChange.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import type { DomainEvent } from '../../../src/services/domainEvents.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildGroup, buildPolicy, buildUser } from '../../support/factories.js';
import { storedNotifications } from '../../support/storedNotifications.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';

const alice = { userId: 'alice', terminal: 'slack' };
const bob = { userId: 'bob', terminal: 'slack' };
const carol = { userId: 'carol', terminal: 'web 127.0.0.1' };
const REMINDERS = { everyMs: 4 * HOUR, escalateAfter: 2 };
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;
let events: DomainEvent[];

async function setUp(group = buildGroup({ approvals: 2, channel: 'C01WEBOPS' })) {
  store = SqliteStore.open(':memory:');
  const policy = buildPolicy({
    users: [buildUser({ id: 'alice' }), buildUser({ id: 'bob', name: 'Bob B.', roles: ['approver'] }), buildUser({ id: 'carol', name: 'Carol C.', roles: ['approver'] })],
    groups: [group],
  });
  ({ deps, clock } = await serviceHarness(store, { policy }));
  events = [];
  deps.events.subscribe((event) => void events.push(event));
}

const reminders = () => storedNotifications(store, { types: ['access.approval_reminder'] });

afterEach(async () => {
  await store.close();
});

function file(start = at(24), end = at(26)): Promise<Change> {
  return registerChange(deps, { title: 'Patch kernel', group: 'web-ops', devices: ['web01'], script: 'apt-get upgrade -y linux-image', windowStart: start, windowEnd: end }, alice);
}

describe('approval reminders', () => {
  beforeEach(() => setUp());

  it('reminds the approvers still missing once per interval and escalates to the group channel after two', async () => {
    const change = await file();
    clock.set(at(3));
    expect(await remindApprovers(deps, change.code, REMINDERS)).toMatchObject({ done: false, skipped: expect.stringMatching(/not yet/) });

    clock.set(at(4));
    expect(await remindApprovers(deps, change.code, REMINDERS)).toEqual({ done: true });
    clock.set(at(5));
    expect(await remindApprovers(deps, change.code, REMINDERS)).toMatchObject({ done: false, skipped: expect.stringMatching(/already sent/) });
    await approveChange(deps, change.code, bob);
    clock.set(at(8));
    await remindApprovers(deps, change.code, REMINDERS);
    clock.set(at(12));
    await remindApprovers(deps, change.code, REMINDERS);

    expect((await reminders()).map((n) => [n.audience, n.data.details])).toEqual([
      [[{ user: 'bob' }, { user: 'carol' }], { reminder: 1, escalated: false, waitingFor: 'Bob B., Carol C.' }],
      [[{ user: 'carol' }], { reminder: 2, escalated: false, waitingFor: 'Carol C.' }],
      [[{ user: 'carol' }, { slackChannel: 'C01WEBOPS' }], { reminder: 3, escalated: true, waitingFor: 'Carol C.' }],
    ]);
    expect((await reminders()).map((n) => n.dedupeKey)).toEqual([1, 2, 3].map((n) => `access.approval_reminder:${change.code}:${T0.toISOString()}:${n}`));
    expect((await store.changes.findByCode(change.code))?.approvalRound).toEqual({ startedAt: T0, reminders: 3 });
  });

  it('sends one reminder for several missed intervals, and none twice for one interval', async () => {
    const change = await file();
    clock.set(at(13));
    await Promise.all([remindApprovers(deps, change.code, REMINDERS), remindApprovers(deps, change.code, REMINDERS)]);
    await remindApprovers(deps, change.code, REMINDERS);
    // Two racing runs: the reminder is written with its count, so only one of them sends it.
    expect(new Set((await reminders()).map((n) => n.dedupeKey))).toEqual(new Set([`access.approval_reminder:${change.code}:${T0.toISOString()}:3`]));
    expect((await store.changes.findByCode(change.code))?.approvalRound?.reminders).toBe(3);
  });

  it('stops for good once the request is decided or its window starts', async () => {
    const change = await file(at(6), at(8));
    clock.set(at(6));
    expect(await remindApprovers(deps, change.code, REMINDERS)).toEqual({ done: false, skipped: expect.stringMatching(/deadline passed/), obsolete: true });
    await store.close();
    await setUp(buildGroup({ approvals: 1 }));
    const approved = await file();
    await approveChange(deps, approved.code, bob);
    clock.set(at(4));
    expect(await remindApprovers(deps, approved.code, REMINDERS)).toEqual({ done: false, skipped: expect.stringMatching(/not pending/), obsolete: true });
    expect((await reminders())).toEqual([]);
  });

  it('escalates to the approvals channel when the group has none', async () => {
    await store.close();
    await setUp(buildGroup({ approvals: 1 }));
    const change = await file();
    clock.set(at(12));
    await remindApprovers(deps, change.code, { everyMs: 4 * HOUR, escalateAfter: 0 });
    expect((await reminders())[0]?.audience).toEqual([{ user: 'bob' }, { user: 'carol' }, { role: 'approvals' }]);
  });
});

describe('rescheduling a change', () => {
  beforeEach(() => setUp(buildGroup({ approvals: 1 })));

  it('moves an approved change back to pending approval, drops approvals and restarts reminders, audited', async () => {
    const change = await file();
    await approveChange(deps, change.code, carol);
    clock.set(at(1));
    const moved = await rescheduleChange(deps, change.code, alice, { windowStart: at(48), windowEnd: at(50), reason: 'vendor delay' });
    expect(moved).toMatchObject({ status: 'pending_approval', approvals: [], windowStart: at(48), windowEnd: at(50), approvalRound: { startedAt: at(1), reminders: 0 } });
    const [record] = (await store.audit.list({ eventType: 'RESCHEDULE' })).records;
    expect(record).toMatchObject({
      status: 'S',
      actor: 'alice',
      object: change.code,
      reason: 'vendor delay',
      details: `window moved from ${at(24).toISOString()}/${at(26).toISOString()} to ${at(48).toISOString()}/${at(50).toISOString()}; approvals withdrawn, approval needed again`,
      images: { before: { status: 'approved', windowStart: at(24) }, after: { status: 'pending_approval', windowStart: at(48), approvals: [] } },
    });
    expect(events.at(-1)).toMatchObject({ type: 'change.rescheduled', change: { code: change.code }, previous: { status: 'approved' } });
    // Reminders count from the reschedule.
    clock.set(at(4));
    expect(await remindApprovers(deps, change.code, REMINDERS)).toMatchObject({ done: false, skipped: expect.stringMatching(/not yet/) });
    clock.set(at(5));
    expect(await remindApprovers(deps, change.code, REMINDERS)).toEqual({ done: true });
  });

  it('refuses others than the requester (audited), a started change, and bad windows, leaving the change as it was', async () => {
    const change = await file();
    const refusal = async (work: Promise<unknown>) => (await work.then(() => null, (e: unknown) => e)) as ServiceError;
    expect((await refusal(rescheduleChange(deps, change.code, bob, { windowStart: at(30), windowEnd: at(31) }))).kind).toBe('forbidden');
    expect((await store.audit.list({ eventType: 'RESCHEDULE' })).records).toMatchObject([{ status: 'D', actor: 'bob' }]);

    const backwards = await refusal(rescheduleChange(deps, change.code, alice, { windowStart: at(30), windowEnd: at(29) }));
    expect(backwards).toMatchObject({ kind: 'invalid', fields: { windowEnd: 'must be after the start' } });
    expect(await refusal(rescheduleChange(deps, change.code, alice, { windowStart: 'soon', windowEnd: at(29) }))).toMatchObject({ kind: 'invalid', fields: { windowStart: 'is not a date' } });
    expect(await refusal(rescheduleChange(deps, change.code, alice, { windowStart: at(24), windowEnd: at(26) }))).toMatchObject({ kind: 'invalid', fields: { windowStart: expect.stringMatching(/current window/) } });
    expect(await store.changes.findByCode(change.code)).toEqual(change);

    await approveChange(deps, change.code, bob);
    clock.set(at(24));
    await startChange(deps, change.code, alice);
    expect(await refusal(rescheduleChange(deps, change.code, alice, { windowStart: at(30), windowEnd: at(31) }))).toMatchObject({ kind: 'conflict', message: 'cannot reschedule a change that is in progress' });
  });
});
