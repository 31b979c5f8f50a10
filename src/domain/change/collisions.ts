import type { Change } from './change.js';
import type { ChangeStatus } from './changeStatus.js';
import { FINAL_STATUSES } from './changeStatus.js';

/** Another change that will be at work on the same servers at the same time. */
export interface Collision {
  readonly code: string;
  readonly title: string;
  readonly status: ChangeStatus;
  readonly requester: string;
  readonly group: string;
  /** The servers both changes name. */
  readonly devices: readonly string[];
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

export interface CollisionPlan {
  /** The change itself, when it is filed already (it does not collide with itself). */
  readonly code?: string | undefined;
  readonly devices: readonly string[];
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

/**
 * The changes that are not over yet (not final), share a server with the plan, and whose
 * window overlaps it ([start, end) intervals: one ending when the other starts does not
 * overlap). Earliest window first. A warning, never a refusal: two teams may well agree.
 */
export function collisionsWith(plan: CollisionPlan, others: readonly Change[]): Collision[] {
  const servers = new Set(plan.devices);
  return others
    .filter((other) => other.code !== plan.code && !FINAL_STATUSES.includes(other.status))
    .filter((other) => other.windowStart.getTime() < plan.windowEnd.getTime() && plan.windowStart.getTime() < other.windowEnd.getTime())
    .map((other) => ({ other, shared: other.devices.filter((d) => servers.has(d)) }))
    .filter(({ shared }) => shared.length > 0)
    .sort((a, b) => a.other.windowStart.getTime() - b.other.windowStart.getTime() || a.other.code.localeCompare(b.other.code))
    .map(({ other, shared }) => ({
      code: other.code,
      title: other.title,
      status: other.status,
      requester: other.requester,
      group: other.group,
      devices: shared,
      windowStart: other.windowStart,
      windowEnd: other.windowEnd,
    }));
}
