import { approvalsNeeded, eligibleApprovers } from '../../domain/approval/freezeQuorum.js';
import type { Change } from '../../domain/change/change.js';
import { CHANGE_STATUSES, FINAL_STATUSES } from '../../domain/change/changeStatus.js';
import { collisionsWith, type Collision } from '../../domain/change/collisions.js';
import { freezeProblems, freezesOverlapping, type FreezePeriod } from '../../domain/change/freezes.js';
import type { Notification } from '../../domain/notifications/catalogue.js';
import { overlapNotices } from '../../domain/notifications/overlapNotices.js';
import type { Policy } from '../../domain/policy/policy.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** A change as filed, or as it would be filed or moved. */
export interface ConflictPlan {
  readonly code?: string | undefined;
  readonly requester: string;
  readonly group: string;
  readonly devices: readonly string[];
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly emergency?: boolean | undefined;
}

export interface FreezeNotice {
  readonly id: string;
  readonly reason: string;
  readonly from: string;
  readonly to: string;
  readonly timezone: string;
  readonly start: Date;
  readonly end: Date;
}

/** What the requester and the approvers are warned of about a change's window. */
export interface ChangeConflicts {
  /** Other changes not over yet, on the same servers, whose window overlaps. */
  readonly collisions: readonly Collision[];
  /** Policy freezes the window falls in. */
  readonly freezes: readonly FreezeNotice[];
  readonly emergency: boolean;
  /** The group's quorum, plus one for an emergency in a freeze. */
  readonly approvalsNeeded: number;
}

const OPEN_STATUSES = CHANGE_STATUSES.filter((status) => !FINAL_STATUSES.includes(status));
/** Far more than any real overlap: a warning lists the first ones. */
const MAX_OVERLAPPING = 200;

/**
 * Overlapping changes and freezes for a change (filed or not): read only, for the warnings
 * of the filing answer, the preflight, the approval card and the change page.
 */
export async function findChangeConflicts(deps: Pick<ServiceDeps, 'store' | 'policies'>, plan: ConflictPlan): Promise<ChangeConflicts> {
  const { policy } = await deps.policies.current();
  const overlapping = await deps.store.changes.list({ statuses: OPEN_STATUSES, windowFrom: plan.windowStart, windowTo: plan.windowEnd, limit: MAX_OVERLAPPING });
  const periods = freezesOverlapping(policy, plan);
  const group = policy.groups.find((g) => g.id === plan.group);
  const emergency = plan.emergency ?? false;
  return {
    collisions: collisionsWith(plan, overlapping),
    freezes: periods.map(noticeOf),
    emergency,
    approvalsNeeded: group ? approvalsNeeded(group, { emergency }, periods.length > 0) : 1,
  };
}

/** The other side's warning when `change` (as it will be stored) overlaps open changes; `actor` took the step. */
export async function overlapNoticesFor(deps: Pick<ServiceDeps, 'store' | 'policies'>, change: Change, actor: string): Promise<Notification[]> {
  const { collisions } = await findChangeConflicts(deps, change);
  return overlapNotices(change, collisions, (await deps.policies.current()).policy.groups, actor);
}

/** The freeze rule for filing and rescheduling, per form field (empty: the window may be used). */
export function freezeFieldProblems(policy: Policy, plan: ConflictPlan): Record<string, string> {
  const group = policy.groups.find((g) => g.id === plan.group);
  const approvers = group && { quorum: Math.max(1, group.approvals), eligible: eligibleApprovers(group, plan.requester).length, group: group.id };
  return freezeProblems(freezesOverlapping(policy, plan), plan.emergency ?? false, approvers);
}

/** The freezes a filed change's window is in now (the policy may have gained one since filing). */
export function freezesOf(policy: Policy, change: Change): readonly FreezePeriod[] {
  return freezesOverlapping(policy, change);
}

function noticeOf(period: FreezePeriod): FreezeNotice {
  const { freeze } = period;
  return { id: freeze.id, reason: freeze.reason, from: freeze.from, to: freeze.to, timezone: period.timezone, start: period.start, end: period.end };
}
