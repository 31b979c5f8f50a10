import { describe, expect, it } from 'vitest';
import {
  awaitsDecisionBy,
  capabilitiesOf,
  changeRightsOf,
  changeScopeOf,
  sessionRightsOf,
} from '../../../src/domain/access/portalRoles.js';
import type { Session } from '../../../src/domain/session/session.js';
import { T0, buildChange, buildGroup, buildUser } from '../../support/factories.js';

const alice = buildUser({ id: 'alice' });
const bob = buildUser({ id: 'bob', roles: ['approver'] });
const erin = buildUser({ id: 'erin', roles: ['auditor'] });
const sam = buildUser({ id: 'sam', roles: ['security'] });
const ada = buildUser({ id: 'ada', roles: ['admin'] });
const mallory = buildUser({ id: 'mallory' });
const group = buildGroup({ approvers: ['bob', 'alice'] });
const session: Session = {
  id: 's1', changeCode: 'CHG-1', user: 'alice', device: 'web01', kind: 'shell', justification: 'x',
  clientAddress: '10.0.0.9', startedAt: T0, state: 'active',
};

describe('portal roles', () => {
  it('give the requester their own change to see, cancel, edit and reschedule, never to review', () => {
    const none = { approve: false, reject: false, revoke: false };
    expect(changeRightsOf(alice, buildChange(), group)).toEqual({ view: true, ...none, cancel: true, edit: true, reschedule: true, finish: false });
    expect(changeRightsOf(alice, buildChange({ status: 'approved' }), group)).toMatchObject({ cancel: true, edit: true, reschedule: true, finish: false });
    // Work started: the plan and the window stay as approved; the requester may finish it early.
    expect(changeRightsOf(alice, buildChange({ status: 'in_progress' }), group)).toMatchObject({ cancel: false, edit: false, reschedule: false, finish: true });
    expect(changeRightsOf(alice, buildChange({ status: 'completed' }), group)).toMatchObject({ cancel: false, edit: false, reschedule: false, finish: false });
  });

  it("let a group's approver see and decide a pending change once", () => {
    const pending = buildChange();
    expect(changeRightsOf(bob, pending, group)).toMatchObject({ view: true, approve: true, reject: true, cancel: false });
    const approvedByBob = buildChange({ approvals: [{ approver: 'bob', at: T0, scriptHash: pending.scriptHash }] });
    expect(changeRightsOf(bob, approvedByBob, group)).toMatchObject({ approve: false, reject: true });
    expect(awaitsDecisionBy(bob, approvedByBob, group)).toBe(false);
    expect(changeRightsOf(bob, buildChange({ status: 'approved' }), group)).toMatchObject({ approve: false, reject: false, revoke: true });
  });

  it('keep everyone else out of a change; group members, auditors, security and admins read-only', () => {
    expect(changeRightsOf(mallory, buildChange(), group).view).toBe(false);
    const member = buildUser({ id: 'dora' });
    expect(changeRightsOf(member, buildChange(), buildGroup({ members: ['alice', 'dora'], approvers: ['bob'] }))).toEqual({ view: true, approve: false, reject: false, revoke: false, cancel: false, edit: false, reschedule: false, finish: false });
    for (const reader of [erin, sam, ada]) {
      expect(changeRightsOf(reader, buildChange({ status: 'approved' }), group)).toEqual({ view: true, approve: false, reject: false, revoke: false, cancel: false, edit: false, reschedule: false, finish: false });
    }
    expect(changeRightsOf(bob, buildChange(), undefined).view).toBe(false);
  });

  it('let security cut live sessions and lock users; auditors only watch', () => {
    const view = changeRightsOf(sam, buildChange(), group);
    expect(sessionRightsOf(sam, session, view)).toEqual({ view: true, terminate: true, lockUser: true, watch: true });
    expect(sessionRightsOf(sam, { ...session, state: 'ended' }, view)).toMatchObject({ terminate: false, watch: false });
    expect(sessionRightsOf(erin, session, changeRightsOf(erin, buildChange(), group))).toEqual({ view: true, terminate: false, lockUser: false, watch: true });
    // The requester sees her own session but does not watch it live (the roles that see every session do).
    expect(sessionRightsOf(alice, session, changeRightsOf(alice, buildChange(), group))).toMatchObject({ view: true, watch: false });
  });

  it('map roles to portal capabilities and list scopes', () => {
    expect([...capabilitiesOf(erin)].sort()).toEqual(['backtestPolicy', 'searchAllCommands', 'viewAllChanges', 'viewAuditTrail', 'viewOutbox', 'viewPolicy']);
    expect([...capabilitiesOf(ada)].sort()).toEqual(['backtestPolicy', 'searchAllCommands', 'viewAllChanges', 'viewOutbox', 'viewPolicy']);
    expect(capabilitiesOf(alice).size).toBe(0);
    expect(changeScopeOf(erin, [group])).toEqual({ all: true });
    const dbOps = buildGroup({ id: 'db-ops', members: ['bob'], approvers: ['carol'] });
    const hrOps = buildGroup({ id: 'hr-ops', members: ['mallory'], approvers: ['carol'] });
    expect(changeScopeOf(bob, [group, dbOps, hrOps])).toEqual({ all: false, requester: 'bob', groups: ['web-ops', 'db-ops'] });
  });
});
