import { describe, expect, it } from 'vitest';
import { decideApprovalReminder } from '../../../src/domain/change/approvalReminder.js';
import { approvalDeadline, changeTimeline, TIMED_STEPS } from '../../../src/domain/change/changeTimeline.js';
import { CHANGE_STATUSES } from '../../../src/domain/change/changeStatus.js';
import { HOUR, T0, buildChange, buildGroup } from '../../support/factories.js';

const MINUTE = 60_000;
const settings = { expiringLeadMs: 15 * MINUTE, reminderEveryMs: 4 * HOUR };
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

describe('change timeline', () => {
  it('plans reminders until the window opens and the expiry at its start for a pending request', () => {
    const change = buildChange({ createdAt: T0, windowStart: at(24), windowEnd: at(26) });
    expect(changeTimeline(change, settings)).toEqual({
      schedule: [
        { step: 'approval-reminder', at: at(4), repeat: { everyMs: 4 * HOUR, until: at(24) } },
        { step: 'approval-expire', at: at(24) },
      ],
      cancel: ['window-open', 'window-expiring', 'window-close'],
    });
  });

  it('skips reminders that could not come before the window opens', () => {
    const change = buildChange({ createdAt: T0, windowStart: at(3), windowEnd: at(5) });
    expect(changeTimeline(change, settings).schedule).toEqual([{ step: 'approval-expire', at: at(3) }]);
  });

  it('gives a change filed (or moved) once its window had begun until the window ends to be approved', () => {
    expect(approvalDeadline(buildChange({ createdAt: at(2), windowStart: at(1), windowEnd: at(5) }))).toEqual(at(5));
    expect(approvalDeadline(buildChange({ createdAt: T0, approvalRound: { startedAt: at(2), reminders: 0 }, windowStart: at(1), windowEnd: at(5) }))).toEqual(at(5));
    expect(approvalDeadline(buildChange({ createdAt: T0, windowStart: at(1), windowEnd: at(5) }))).toEqual(at(1));
  });

  it('plans open, warning and close for an approved or running change', () => {
    for (const status of ['approved', 'in_progress'] as const) {
      expect(changeTimeline(buildChange({ status, windowStart: at(1), windowEnd: at(3) }), settings)).toEqual({
        schedule: [
          { step: 'window-open', at: at(1) },
          { step: 'window-expiring', at: new Date(at(3).getTime() - 15 * MINUTE) },
          { step: 'window-close', at: at(3) },
        ],
        cancel: ['approval-reminder', 'approval-expire'],
      });
    }
    const short = changeTimeline(buildChange({ status: 'approved', windowStart: at(1), windowEnd: new Date(at(1).getTime() + 10 * MINUTE) }), settings);
    expect(short.schedule.map((s) => s.step)).toEqual(['window-open', 'window-close']);
    expect(short.cancel).toContain('window-expiring');
  });

  it('plans nothing and cancels everything once a change is final', () => {
    for (const status of CHANGE_STATUSES.filter((s) => !['pending_approval', 'approved', 'in_progress'].includes(s))) {
      expect(changeTimeline(buildChange({ status }), settings)).toEqual({ schedule: [], cancel: [...TIMED_STEPS] });
    }
  });
});

describe('approval reminder decision', () => {
  const group = buildGroup({ approvers: ['alice', 'bob', 'carol'], approvals: 2 });
  const change = buildChange({ createdAt: T0, windowStart: at(24), windowEnd: at(26) });
  const reminders = { everyMs: 4 * HOUR, escalateAfter: 2 };

  it('counts interval slots from the start of the request, never reminding the requester or who approved', () => {
    expect(decideApprovalReminder(change, group, at(3.9), reminders)).toEqual({ due: false, reason: 'not_yet' });
    expect(decideApprovalReminder(change, group, at(4), reminders)).toEqual({ due: true, number: 1, escalate: false, waitingFor: ['bob', 'carol'] });
    const approvedByBob = { ...change, approvals: [{ approver: 'bob', at: at(1), scriptHash: change.scriptHash }], approvalRound: { startedAt: T0, reminders: 1 } };
    expect(decideApprovalReminder(approvedByBob, group, at(7), reminders)).toEqual({ due: false, reason: 'already_sent' });
    expect(decideApprovalReminder(approvedByBob, group, at(12.5), reminders)).toEqual({ due: true, number: 3, escalate: true, waitingFor: ['carol'] });
  });

  it('counts an approval of an older script as missing', () => {
    const stale = { ...change, approvals: [{ approver: 'bob', at: at(1), scriptHash: 'old' }] };
    expect(decideApprovalReminder(stale, group, at(4), reminders)).toMatchObject({ due: true, waitingFor: ['bob', 'carol'] });
  });

  it('stops at the deadline and once the request is decided', () => {
    expect(decideApprovalReminder(change, group, at(24), reminders)).toEqual({ due: false, reason: 'deadline_passed' });
    expect(decideApprovalReminder({ ...change, status: 'approved' }, group, at(4), reminders)).toEqual({ due: false, reason: 'not_pending' });
    expect(decideApprovalReminder(change, buildGroup({ approvers: ['alice'] }), at(4), reminders)).toEqual({ due: false, reason: 'nobody_to_remind' });
  });
});
