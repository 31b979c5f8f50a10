import { beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/services/actor.js';
import { findChangeConflicts } from '../../../src/services/changes/changeConflicts.js';
import { editChange } from '../../../src/services/changes/editChange.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { rescheduleChange } from '../../../src/services/changes/rescheduleChange.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { importPolicy } from '../../../src/services/policy/policyImport.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { buildGroup, buildPolicy, buildUser, HOUR, T0 } from '../../support/factories.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import { TestClock } from '../../support/testClock.js';

/** T0 is 2026-11-22 09:00 UTC; the freeze covers web02 on 24 November (UTC). */
const FREEZE_YAML = 'freezes:\n  - { id: patch-day, from: 2026-11-24, to: 2026-11-24, devices: [web02], reason: Vendor patch day }\n';
const inFreeze = { windowStart: new Date('2026-11-24T10:00:00Z'), windowEnd: new Date('2026-11-24T12:00:00Z') };
const alice: Actor = { userId: 'alice', terminal: 'slack' };
let deps: ServiceDeps;
let store: SqliteStore;

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  const policy = buildPolicy({
    users: [buildUser({ id: 'alice' }), buildUser({ id: 'bob', roles: ['approver'] }), buildUser({ id: 'carol', roles: ['approver'] }), buildUser({ id: 'dan', roles: ['approver'] })],
    groups: [buildGroup({ members: ['alice'], approvers: ['alice', 'bob', 'carol'] }), buildGroup({ id: 'solo', members: ['alice'], approvers: ['bob'], devices: ['web02'] })],
  });
  deps = (await serviceHarness(store, { clock: new TestClock(T0), policy })).deps;
  await importPolicy(deps, FREEZE_YAML, 'freeze.yml', { userId: 'root', terminal: 'cli', kind: 'operator' });
});

const file = (input: Partial<Parameters<typeof registerChange>[1]> = {}) =>
  registerChange(deps, { title: 'Patch', group: 'web-ops', devices: ['web02'], script: 'apt-get upgrade -y', ...inFreeze, ...input }, alice);

describe('freezes at filing, rescheduling and editing', () => {
  it('imports freezes as audited FREEZE entries', async () => {
    const [record] = (await store.audit.list({ limit: 5, offset: 0 })).records.filter((r) => r.class === 'FREEZE');
    expect(record).toMatchObject({ eventType: 'CREATE', object: 'patch-day', details: 'policy import from freeze.yml' });
    expect(record?.images?.after).toEqual({ id: 'patch-day', from: '2026-11-24', to: '2026-11-24', devices: ['web02'], reason: 'Vendor patch day' });
  });

  it('refuses a window in a freeze, on the window field, unless flagged an emergency', async () => {
    await expect(file()).rejects.toMatchObject({
      kind: 'invalid',
      fields: { windowStart: 'falls in the change freeze patch-day (Vendor patch day: 2026-11-24 to 2026-11-24, UTC): choose a window outside it, or flag the change an emergency (it then needs 2 approvals instead of 1)' },
    });
    await expect(file({ devices: ['web01'] })).resolves.toMatchObject({ status: 'pending_approval' });
    const emergency = await file({ emergency: true });
    expect(emergency.emergency).toBe(true);
    // The requester does not count: "solo" has one approver, and an emergency needs two.
    await expect(file({ group: 'solo', emergency: true })).rejects.toMatchObject({
      fields: { emergency: 'an emergency change in a freeze needs 2 approvals from different approvers, and solo has 1 who may approve your change' },
    });
  });

  it('refuses rescheduling into a freeze unless flagged, and may flag a change where it stands', async () => {
    const change = await file({ devices: ['web02'], windowStart: new Date(T0.getTime() + HOUR), windowEnd: new Date(T0.getTime() + 3 * HOUR) });
    await expect(rescheduleChange(deps, change.code, alice, inFreeze)).rejects.toMatchObject({ fields: { windowStart: expect.stringMatching(/^falls in the change freeze patch-day/) } });
    const moved = await rescheduleChange(deps, change.code, alice, { ...inFreeze, emergency: true, reason: 'the patch cannot wait' });
    expect(moved).toMatchObject({ emergency: true, windowStart: inFreeze.windowStart, status: 'pending_approval' });
    const [audit] = (await store.audit.list({ change: change.code, eventType: 'RESCHEDULE', limit: 5, offset: 0 })).records;
    expect(audit?.details).toMatch(/; flagged an emergency$/);
    // Unflagging in the freeze is refused; where it stands, the flag alone may change.
    await expect(rescheduleChange(deps, change.code, alice, { ...inFreeze, emergency: false })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(rescheduleChange(deps, change.code, alice, { ...inFreeze })).rejects.toMatchObject({ fields: { windowStart: 'is the current window: nothing to reschedule' } });
  });

  it('refuses an edit that adds a frozen server to a change in the freeze\'s window', async () => {
    const change = await file({ devices: ['web01'] });
    await expect(editChange(deps, change.code, alice, { title: 'Patch', description: '', devices: ['web01', 'web02'], script: 'apt-get upgrade -y' })).rejects.toMatchObject({
      fields: { devices: expect.stringMatching(/^web02: falls in the change freeze patch-day/) },
    });
  });
});

describe('approving in a freeze', () => {
  it('takes one approval more, from different approvers, for an emergency', async () => {
    const change = await file({ emergency: true });
    const first = await approveChange(deps, change.code, { userId: 'bob', terminal: 'slack' });
    expect(first).toMatchObject({ approved: false, approvalsNeeded: 2 });
    await expect(approveChange(deps, change.code, { userId: 'bob', terminal: 'slack' })).rejects.toThrow('bob already approved');
    await expect(approveChange(deps, change.code, alice)).rejects.toThrow('four-eyes');
    expect(await approveChange(deps, change.code, { userId: 'carol', terminal: 'web 10.0.0.1' })).toMatchObject({ approved: true, approvalsNeeded: 2 });
  });

  it('refuses a change caught by a freeze declared after it was filed, and warns of it', async () => {
    const change = await file({ devices: ['web01'] });
    await importPolicy(deps, FREEZE_YAML.replace('devices: [web02]', 'devices: [web01, web02]'), 'freeze.yml', { userId: 'root', terminal: 'cli', kind: 'operator' });
    await expect(approveChange(deps, change.code, { userId: 'bob', terminal: 'slack' })).rejects.toThrow(/falls in the change freeze patch-day .*: it cannot be approved unless alice moves it out, or flags it an emergency$/);
    const conflicts = await findChangeConflicts(deps, change);
    expect(conflicts).toMatchObject({ emergency: false, approvalsNeeded: 1, freezes: [{ id: 'patch-day', reason: 'Vendor patch day', timezone: 'UTC' }] });
  });
});

describe('overlapping changes', () => {
  it('are found for a draft and for a filed change, never the change itself nor finished ones', async () => {
    const first = await file({ devices: ['web01'] });
    const second = await file({ devices: ['web01', 'web02'], emergency: true, windowStart: new Date(inFreeze.windowStart.getTime() + HOUR), windowEnd: new Date(inFreeze.windowEnd.getTime() + HOUR) });
    const draft = await findChangeConflicts(deps, { requester: 'alice', group: 'web-ops', devices: ['web01'], ...inFreeze });
    expect(draft.collisions.map((c) => c.code)).toEqual([first.code, second.code]);
    expect((await findChangeConflicts(deps, first)).collisions.map((c) => [c.code, c.devices])).toEqual([[second.code, ['web01']]]);
    expect(await findChangeConflicts(deps, second)).toMatchObject({ emergency: true, approvalsNeeded: 2, collisions: [{ code: first.code }] });
    await store.changes.update(first.code, first.version, { status: 'cancelled' });
    expect((await findChangeConflicts(deps, second)).collisions).toEqual([]);
  });
});
