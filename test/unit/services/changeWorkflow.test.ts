import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { approveChange, cancelChange, rejectChange, revokeChange } from '../../../src/services/changes/reviewChange.js';
import { closeChange, expirePendingChange, startChange } from '../../../src/services/changes/changeWindow.js';
import type { DomainEvent } from '../../../src/services/domainEvents.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildGroup, buildPolicy } from '../../support/factories.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';

const alice = { userId: 'alice', terminal: 'slack' };
const bob = { userId: 'bob', terminal: 'slack' };
const carol = { userId: 'carol', terminal: 'web 127.0.0.1' };

const input = {
  title: 'Rotate TLS certificate',
  description: 'Yearly rotation',
  group: 'web-ops',
  devices: ['web01'],
  script: '# rotate\ncp /tmp/new.pem /etc/nginx/tls.pem\nsystemctl reload nginx\n',
  windowStart: new Date(T0.getTime() + HOUR),
  windowEnd: new Date(T0.getTime() + 3 * HOUR),
};

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;
let events: DomainEvent[];

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps, clock } = await serviceHarness(store));
  events = [];
  deps.events.subscribe((event) => {
    events.push(event);
  });
});
afterEach(async () => {
  await store.close();
});

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

describe('registering a change', () => {
  it('files it pending approval with a suggested code, audits it and announces it', async () => {
    const change = await registerChange(deps, input, alice);
    expect(change).toMatchObject({ code: 'CHG-1', status: 'pending_approval', requester: 'alice', version: 0 });
    expect(change.scriptHash).toMatch(/^[0-9a-f]{64}$/);
    const [record] = (await store.audit.list({ change: 'CHG-1' })).records;
    expect(record).toMatchObject({ eventType: 'CREATE', class: 'CHANGE', actor: 'alice', terminal: 'slack', status: 'S' });
    expect(record?.images?.after).toMatchObject({ code: 'CHG-1', title: 'Rotate TLS certificate' });
    expect(events.map((e) => e.type)).toEqual(['change.created']);
    expect((await registerChange(deps, input, alice)).code).toBe('CHG-2');
  });

  it('keeps a chosen code, refuses a taken one on its field', async () => {
    expect((await registerChange(deps, { ...input, code: 'chg-100' }, alice)).code).toBe('CHG-100');
    const error = await refusal(registerChange(deps, { ...input, code: 'CHG-100' }, alice));
    expect(error.kind).toBe('invalid');
    expect(error.fields).toEqual({ code: 'CHG-100 is already taken' });
  });

  it.each([
    [{ windowEnd: new Date(T0.getTime() + HOUR / 2) }, 'windowEnd', 'must be after the start'],
    [{ windowStart: new Date(T0.getTime() - 3 * HOUR), windowEnd: new Date(T0.getTime() - HOUR) }, 'windowEnd', 'is in the past'],
    [{ script: ' \n ' }, 'script', 'is empty: list the exact commands you will run'],
    [{ script: 'x'.repeat(70_000) }, 'script', 'is larger than 64 KiB'],
    [{ devices: ['db01'] }, 'devices', 'not in group web-ops: db01'],
    [{ devices: [] }, 'devices', 'choose at least one server'],
    [{ group: 'db-ops' }, 'group', 'unknown access group "db-ops"'],
    [{ title: '' }, 'title', 'is required'],
    [{ code: 'not a code' }, 'code', 'must look like CHG-42 (letters, a dash, then letters or digits)'],
    [{ windowStart: 'tomorrow-ish' }, 'windowStart', 'is not a date'],
  ] as const)('puts a bad field on the field: %o', async (patch, field, message) => {
    const error = await refusal(registerChange(deps, { ...input, ...patch } as typeof input, alice));
    expect(error.kind).toBe('invalid');
    expect(error.fields[field]).toBe(message);
    expect(await store.changes.list({})).toEqual([]);
  });

  it('refuses a requester outside the group', async () => {
    const error = await refusal(registerChange(deps, input, bob));
    expect(error.fields.group).toBe('you are not a member of web-ops');
  });
});

describe('reviewing a change', () => {
  it('approves on quorum, audits who and announces it', async () => {
    const change = await registerChange(deps, input, alice);
    const outcome = await approveChange(deps, change.code, bob);
    expect(outcome).toMatchObject({ approved: true, approvalsNeeded: 1, change: { status: 'approved' } });
    const records = (await store.audit.list({ eventType: 'APPROVE' })).records;
    expect(records).toMatchObject([{ actor: 'bob', status: 'S', details: 'approval 1 of 1: change approved' }]);
    expect(events.map((e) => e.type)).toEqual(['change.created', 'change.approval_recorded', 'change.approved']);
  });

  it('refuses and audits (status D) the requester approving their own change', async () => {
    await store.policy.apply({ replace: { groups: [buildGroup({ approvers: ['alice', 'bob'] })] } });
    const change = await registerChange(deps, input, alice);
    const error = await refusal(approveChange(deps, change.code, alice));
    expect(error.kind).toBe('forbidden');
    expect(error.message).toMatch(/four-eyes/);
    expect((await store.audit.list({ eventType: 'APPROVE' })).records).toMatchObject([{ actor: 'alice', status: 'D' }]);
    expect((await store.changes.findByCode(change.code))?.status).toBe('pending_approval');
  });

  it('treats a second click as a no-op refusal', async () => {
    const change = await registerChange(deps, input, alice);
    await approveChange(deps, change.code, bob);
    const error = await refusal(approveChange(deps, change.code, bob));
    expect(error.kind).toBe('conflict');
    expect((await store.changes.findByCode(change.code))?.version).toBe(1);
  });

  it('refuses approval after the due date', async () => {
    const change = await registerChange(deps, input, alice);
    clock.set(input.windowEnd);
    expect((await refusal(approveChange(deps, change.code, bob))).message).toMatch(/window of CHG-1 ended/);
  });

  it('refuses an approval for a script the approver did not see', async () => {
    const change = await registerChange(deps, input, alice);
    const error = await refusal(approveChange(deps, change.code, bob, { seenScriptHash: 'stale' }));
    expect(error.message).toMatch(/script of CHG-1 changed/);
  });

  it('rejects with a reason, finally', async () => {
    const change = await registerChange(deps, input, alice);
    expect((await refusal(rejectChange(deps, change.code, bob, ' '))).kind).toBe('invalid');
    const rejected = await rejectChange(deps, change.code, bob, 'window overlaps the sale');
    expect(rejected).toMatchObject({ status: 'rejected', rejection: { by: 'bob', reason: 'window overlaps the sale' } });
    expect((await refusal(approveChange(deps, change.code, carol))).kind).toBe('conflict');
  });

  it('revokes an approved or running change with a reason, by an approver only', async () => {
    const change = await registerChange(deps, input, alice);
    await approveChange(deps, change.code, bob);
    expect((await refusal(revokeChange(deps, change.code, alice, 'mine'))).kind).toBe('forbidden');
    expect((await refusal(revokeChange(deps, change.code, bob, ''))).kind).toBe('invalid');
    await startChange(deps, change.code, alice);
    const revoked = await revokeChange(deps, change.code, carol, 'incident in progress');
    expect(revoked).toMatchObject({ status: 'revoked', revocation: { by: 'carol', reason: 'incident in progress' } });
    expect(events.at(-1)?.type).toBe('change.revoked');
  });

  it('lets only the requester cancel, and only before it starts', async () => {
    const change = await registerChange(deps, input, alice);
    expect((await refusal(cancelChange(deps, change.code, bob))).kind).toBe('forbidden');
    expect(await cancelChange(deps, change.code, alice, 'not needed')).toMatchObject({ status: 'cancelled' });
    const other = await registerChange(deps, input, alice);
    await approveChange(deps, other.code, bob);
    await startChange(deps, other.code, alice);
    expect((await refusal(cancelChange(deps, other.code, alice))).message).toBe('cannot cancel a change that is in progress');
  });

  it('answers not_found for an unknown code', async () => {
    expect((await refusal(approveChange(deps, 'CHG-404', bob))).kind).toBe('not_found');
  });

  it('needs the quorum of distinct approvers', async () => {
    const policy = buildPolicy({ groups: [buildGroup({ approvals: 2 })] });
    await store.policy.apply({ replace: { groups: policy.groups } });
    const change = await registerChange(deps, input, alice);
    expect((await approveChange(deps, change.code, bob)).approved).toBe(false);
    expect((await refusal(approveChange(deps, change.code, bob))).message).toMatch(/already approved/);
    expect((await approveChange(deps, change.code, carol)).approved).toBe(true);
  });
});

describe('the window', () => {
  it('starts once, closes to expired when nothing ran, and is idempotent', async () => {
    const change = await registerChange(deps, input, alice);
    await approveChange(deps, change.code, bob);
    clock.set(input.windowEnd);
    const closed = await closeChange(deps, change.code);
    expect(closed).toMatchObject({ closedNow: true, change: { status: 'expired' } });
    expect(await closeChange(deps, change.code)).toMatchObject({ closedNow: false });
    expect((await store.audit.list({ eventType: 'EXPIRE' })).total).toBe(1);
  });

  it('expires a request still pending when the window opens', async () => {
    const change = await registerChange(deps, input, alice);
    expect(await expirePendingChange(deps, change.code)).toMatchObject({ status: 'expired' });
    expect(await expirePendingChange(deps, change.code)).toBeNull();
  });
});
