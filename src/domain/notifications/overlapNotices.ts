import type { Change } from '../change/change.js';
import type { Collision } from '../change/collisions.js';
import type { PolicyGroup } from '../policy/policy.js';
import { summariseChange, type Notification } from './catalogue.js';

/**
 * The other side of an overlap: when `change` is filed, rescheduled or given other servers and
 * now works on the same servers at the same time as other open changes, each of those changes'
 * requester hears of it by DM, and so do its approvers while it still waits for them (the
 * requester and approvers of `change` see the overlap on its own request card). `actor`, who
 * made the step, is told nothing. One notice per change pair and version of `change`.
 */
export function overlapNotices(change: Change, collisions: readonly Collision[], groups: readonly PolicyGroup[], actor: string): Notification[] {
  const summary = summariseChange(change);
  return collisions.flatMap((other) => {
    const group = groups.find((g) => g.id === other.group);
    const reviewers = other.status === 'pending_approval' ? (group?.approvers ?? []).filter((id) => id !== other.requester) : [];
    const people = [...new Set([other.requester, ...reviewers])].filter((id) => id !== actor);
    if (people.length === 0) return [];
    return [
      {
        type: 'access.change_overlap' as const,
        audience: people.map((user) => ({ user })),
        data: {
          change: summary,
          actor,
          details: {
            other: { code: other.code, title: other.title, status: other.status, windowStart: other.windowStart.toISOString(), windowEnd: other.windowEnd.toISOString() },
            devices: [...other.devices],
          },
        },
        dedupeKey: `overlap:${change.code}:v${change.version}:${other.code}`,
      },
    ];
  });
}
