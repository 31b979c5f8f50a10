import { describe, expect, it } from 'vitest';
import type { Collision } from '../../../src/domain/change/collisions.js';
import { overlapNotices } from '../../../src/domain/notifications/overlapNotices.js';
import { buildGroup, buildOpenApprovedChange } from '../../support/factories.js';

const now = new Date('2026-12-05T10:00:00Z');
const change = { ...buildOpenApprovedChange(now, { code: 'CHG-2', requester: 'dave', group: 'web-ops', devices: ['web01', 'web02'] }), status: 'pending_approval' as const, version: 3 };
const groups = [buildGroup({ id: 'web-ops', members: ['alice', 'dave'], approvers: ['alice', 'bob', 'carol'] }), buildGroup({ id: 'db-ops', members: ['erin'], approvers: ['olga'] })];
const collision = (over: Partial<Collision>): Collision => ({ code: 'CHG-1', title: 'Rotate', status: 'approved', requester: 'alice', group: 'web-ops', devices: ['web01'], windowStart: now, windowEnd: now, ...over });

describe('overlap notices (the other side of a collision)', () => {
  it('tell the other change\'s requester, and its approvers while it waits for them, never the one who took the step', () => {
    const [approved, pending] = [overlapNotices(change, [collision({})], groups, 'dave'), overlapNotices(change, [collision({ status: 'pending_approval' })], groups, 'dave')];
    expect(approved.map((n) => n.audience)).toEqual([[{ user: 'alice' }]]);
    // alice requested CHG-1: not one of its reviewers.
    expect(pending.map((n) => n.audience)).toEqual([[{ user: 'alice' }, { user: 'bob' }, { user: 'carol' }]]);
    expect(overlapNotices(change, [collision({ status: 'pending_approval' })], groups, 'bob')[0]?.audience).toEqual([{ user: 'alice' }, { user: 'carol' }]);
    expect(overlapNotices(change, [collision({ requester: 'dave' })], groups, 'dave')).toEqual([]);
  });

  it('say which change, which servers and when, once per change pair and version', () => {
    const [notice] = overlapNotices(change, [collision({ group: 'db-ops', status: 'pending_approval', requester: 'erin' })], groups, 'dave');
    expect(notice).toMatchObject({
      type: 'access.change_overlap',
      audience: [{ user: 'erin' }, { user: 'olga' }],
      data: { change: { code: 'CHG-2', requester: 'dave' }, actor: 'dave', details: { other: { code: 'CHG-1', title: 'Rotate', status: 'pending_approval' }, devices: ['web01'] } },
      dedupeKey: 'overlap:CHG-2:v3:CHG-1',
    });
  });
});
