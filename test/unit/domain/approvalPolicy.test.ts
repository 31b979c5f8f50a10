import { describe, expect, it } from 'vitest';
import { decideApproval, decideRejection } from '../../../src/domain/approval/approvalPolicy.js';
import { HOUR, T0, buildChange, buildGroup } from '../../support/factories.js';

const now = T0;

describe('approval policy', () => {
  it('approves with quorum 1 on the first distinct approver', () => {
    const decision = decideApproval(buildChange(), buildGroup(), 'bob', now);
    expect(decision).toMatchObject({ ok: true, quorumReached: true, needed: 1 });
    if (decision.ok) expect(decision.approvals.map((a) => a.approver)).toEqual(['bob']);
  });

  it('refuses the requester (four-eyes)', () => {
    const group = buildGroup({ approvers: ['alice', 'bob'] });
    expect(decideApproval(buildChange(), group, 'alice', now)).toMatchObject({ ok: false, refusal: 'self_approval' });
  });

  it('refuses someone who is not an approver of the group', () => {
    expect(decideApproval(buildChange(), buildGroup(), 'erin', now)).toMatchObject({ ok: false, refusal: 'not_an_approver' });
  });

  it('counts one approver once and needs distinct approvers for quorum 2', () => {
    const group = buildGroup({ approvals: 2 });
    const first = decideApproval(buildChange(), group, 'bob', now);
    expect(first).toMatchObject({ ok: true, quorumReached: false, needed: 2 });
    const afterBob = buildChange({ approvals: first.ok ? first.approvals : [] });
    expect(decideApproval(afterBob, group, 'bob', now)).toMatchObject({ ok: false, refusal: 'already_approved' });
    expect(decideApproval(afterBob, group, 'carol', now)).toMatchObject({ ok: true, quorumReached: true });
  });

  it('refuses approval after the window has ended', () => {
    const change = buildChange();
    expect(decideApproval(change, buildGroup(), 'bob', new Date(change.windowEnd.getTime()))).toMatchObject({
      ok: false,
      refusal: 'window_passed',
    });
    expect(decideApproval(change, buildGroup(), 'bob', new Date(change.windowEnd.getTime() - 1))).toMatchObject({ ok: true });
  });

  it('refuses a change that is no longer pending', () => {
    for (const status of ['approved', 'rejected', 'cancelled', 'expired'] as const) {
      expect(decideApproval(buildChange({ status }), buildGroup(), 'bob', now)).toMatchObject({ ok: false, refusal: 'not_pending' });
    }
  });

  it('binds approval to the script the approver saw', () => {
    const change = buildChange();
    expect(decideApproval(change, buildGroup(), 'bob', now, 'an-older-hash')).toMatchObject({ ok: false, refusal: 'script_changed' });
  });

  it('does not count approvals given to an earlier version of the script', () => {
    const group = buildGroup({ approvals: 2 });
    const stale = { approver: 'bob', at: now, scriptHash: 'old' };
    const decision = decideApproval(buildChange({ approvals: [stale] }), group, 'carol', now);
    expect(decision).toMatchObject({ ok: true, quorumReached: false });
  });

  it('needs a reason to reject, and applies the same reviewer checks', () => {
    const change = buildChange();
    expect(decideRejection(change, buildGroup(), 'bob', '   ', now)).toMatchObject({ ok: false, refusal: 'reason_required' });
    expect(decideRejection(change, buildGroup(), 'alice', 'no', now)).toMatchObject({ ok: false, refusal: 'self_approval' });
    expect(decideRejection(change, buildGroup(), 'bob', 'wrong window', now)).toEqual({ ok: true });
    expect(decideRejection(change, buildGroup(), 'bob', 'late', new Date(now.getTime() + 5 * HOUR))).toMatchObject({
      refusal: 'window_passed',
    });
  });
});
