import { describe, expect, it } from 'vitest';
import { CHANGE_STATUSES, type ChangeStatus } from '../../../src/domain/change/changeStatus.js';
import { LIFECYCLE, transition, type ChangeEvent } from '../../../src/domain/change/lifecycle.js';

const allowed: [ChangeStatus, ChangeEvent, ChangeStatus][] = [
  ['pending_approval', 'approve', 'approved'],
  ['pending_approval', 'reject', 'rejected'],
  ['pending_approval', 'cancel', 'cancelled'],
  ['pending_approval', 'expire', 'expired'],
  ['pending_approval', 'reschedule', 'pending_approval'],
  ['pending_approval', 'edit', 'pending_approval'],
  ['approved', 'start', 'in_progress'],
  ['approved', 'revoke', 'revoked'],
  ['approved', 'cancel', 'cancelled'],
  ['approved', 'expire', 'expired'],
  ['approved', 'reschedule', 'pending_approval'],
  ['approved', 'edit', 'pending_approval'],
  ['in_progress', 'revoke', 'revoked'],
  ['in_progress', 'complete', 'completed'],
  ['in_progress', 'markIncomplete', 'incomplete'],
];

describe('change lifecycle', () => {
  it.each(allowed)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toEqual({ ok: true, from, to });
  });

  const events = Object.keys(LIFECYCLE) as ChangeEvent[];
  const forbidden = CHANGE_STATUSES.flatMap((from) =>
    events.filter((event) => !allowed.some(([f, e]) => f === from && e === event)).map((event) => [from, event] as const),
  );

  it('forbids every other pair', () => {
    // 9 statuses x 10 events, minus the 15 allowed moves.
    expect(forbidden).toHaveLength(CHANGE_STATUSES.length * events.length - allowed.length);
  });

  it.each(forbidden)('refuses %s --%s-->', (from, event) => {
    const result = transition(from, event);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(new RegExp(`^cannot ${event} a change that is `));
  });

  it('keeps final states final', () => {
    for (const from of ['completed', 'incomplete', 'rejected', 'revoked', 'cancelled', 'expired'] as const) {
      expect(events.filter((event) => transition(from, event).ok)).toEqual([]);
    }
  });
});
