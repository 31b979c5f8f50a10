import type { Change } from '../change/change.js';
import type { PolicyGroup } from '../policy/policy.js';

/**
 * Approvals a change needs: the group's quorum, and one more for an emergency change whose
 * window is in a freeze (a second pair of eyes on work done when nobody should be working).
 * Each approver counts once, and never the requester, so the extra approval comes from a
 * different approver.
 */
export function approvalsNeeded(group: PolicyGroup, change: Pick<Change, 'emergency'>, inFreeze: boolean): number {
  return Math.max(1, group.approvals) + (change.emergency && inFreeze ? 1 : 0);
}

/** Approvers who may approve the change: the group's, less its requester (four eyes). */
export function eligibleApprovers(group: PolicyGroup, requester: string): readonly string[] {
  return group.approvers.filter((approver) => approver !== requester);
}
