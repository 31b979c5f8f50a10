import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockUser, terminateSession, unlockUser } from '../../../src/services/sessions/sessionControl.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { isWebSessionCurrent } from '../../../src/services/access/webSignOut.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { T0, buildPolicy, buildUser } from '../../support/factories.js';
import { serviceHarness } from '../../support/serviceHarness.js';

let store: SqliteStore;
let deps: ServiceDeps;
const security = { userId: 'sam', terminal: 'slack' };

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  const policy = buildPolicy();
  ({ deps } = await serviceHarness(store, { policy: { ...policy, users: [...policy.users, buildUser({ id: 'sam', roles: ['security'] })] } }));
});
afterEach(async () => {
  await store.close();
});

describe('session control', () => {
  it('terminates an active session once, audited', async () => {
    await store.sessions.create({ id: 's1', changeCode: 'CHG-1', user: 'alice', device: 'web01', kind: 'shell', justification: 'j', clientAddress: '127.0.0.1', startedAt: T0, state: 'active' });
    expect(await terminateSession(deps, 's1', security, 'suspicious')).toMatchObject({ state: 'terminated', endReason: 'suspicious' });
    const again = await terminateSession(deps, 's1', security, 'again').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ServiceError);
    expect((again as ServiceError).kind).toBe('conflict');
    expect((await terminateSession(deps, 'nope', security, 'x').catch((e: ServiceError) => e)).kind).toBe('not_found');
    // Only security (and changeguard itself) may: the authorisation table, whichever adapter asks.
    expect(((await terminateSession(deps, 's1', { userId: 'bob', terminal: 'web' }, 'x').catch((e: ServiceError) => e)) as ServiceError).message).toBe('terminate needs the security role');
    expect((await store.audit.list({ eventType: 'TERMINATE', status: 'S' })).records).toMatchObject([{ object: 's1', actor: 'sam', reason: 'suspicious' }]);
    // The second attempt and bob's are refusals on record.
    expect((await store.audit.list({ eventType: 'TERMINATE', status: 'D' })).records.map((r) => r.actor)).toEqual(['sam', 'bob']);
  });

  it('locks and unlocks users, auditing each attempt', async () => {
    expect(await lockUser(deps, 'alice', security, 'shared credentials')).toBe(true);
    expect(await lockUser(deps, 'alice', security, 'again')).toBe(false);
    expect(await unlockUser(deps, 'alice', security)).toBe(true);
    expect((await store.audit.list({ eventType: 'LOCK' })).records.map((r) => r.status)).toEqual(['S', 'F']);
    expect((await store.audit.list({ eventType: 'UNLOCK' })).records).toMatchObject([{ status: 'S', object: 'alice' }]);
  });

  it('ends the locked user\'s web sessions too', async () => {
    const before = deps.clock();
    expect(await isWebSessionCurrent(deps, 'alice', before)).toBe(true);
    await lockUser(deps, 'alice', security, 'shared credentials');
    expect(await isWebSessionCurrent(deps, 'alice', before)).toBe(false);
    expect(await isWebSessionCurrent(deps, 'bob', before)).toBe(true);
  });
});
