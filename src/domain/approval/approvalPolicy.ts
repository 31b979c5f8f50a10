import type { Approval, Change } from '../change/change.js';
import type { PolicyGroup } from '../policy/policy.js';

export type ApprovalRefusal =
  | 'not_pending'
  | 'self_approval'
  | 'not_an_approver'
  | 'already_approved'
  | 'window_passed'
  | 'script_changed'
  | 'reason_required';

export type ApprovalDecision =
  | {
      readonly ok: true;
      readonly approvals: readonly Approval[];
      /** True when this vote completes the quorum: the change becomes approved. */
      readonly quorumReached: boolean;
      readonly needed: number;
    }
  | { readonly ok: false; readonly refusal: ApprovalRefusal; readonly message: string };

export type RejectionDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly refusal: ApprovalRefusal; readonly message: string };

function refuse(refusal: ApprovalRefusal, message: string) {
  return { ok: false as const, refusal, message };
}

/** Checks shared by approving and rejecting: only a distinct, listed approver may decide. */
function checkReviewer(change: Change, group: PolicyGroup, reviewer: string, now: Date) {
  if (change.status !== 'pending_approval') {
    return refuse('not_pending', `${change.code} is ${change.status.replace('_', ' ')}, not pending approval`);
  }
  if (reviewer === change.requester) {
    return refuse('self_approval', `${reviewer} filed ${change.code} and cannot review it (four-eyes rule)`);
  }
  if (!group.approvers.includes(reviewer)) {
    return refuse('not_an_approver', `${reviewer} is not an approver of group ${group.id}`);
  }
  if (now.getTime() >= change.windowEnd.getTime()) {
    return refuse('window_passed', `the window of ${change.code} ended at ${change.windowEnd.toISOString()}`);
  }
  return null;
}

/**
 * Four-eyes approval: the requester never approves their own change, each approver counts
 * once, and the change is approved when `group.approvals` distinct approvers agreed on the
 * same script.
 */
export function decideApproval(
  change: Change,
  group: PolicyGroup,
  approver: string,
  now: Date,
  seenScriptHash: string = change.scriptHash,
): ApprovalDecision {
  const refusal = checkReviewer(change, group, approver, now);
  if (refusal) return refusal;
  if (seenScriptHash !== change.scriptHash) {
    return refuse('script_changed', `the script of ${change.code} changed since it was shown; review it again`);
  }
  const current = change.approvals.filter((a) => a.scriptHash === change.scriptHash);
  if (current.some((a) => a.approver === approver)) {
    return refuse('already_approved', `${approver} already approved ${change.code}`);
  }
  const approvals = [...current, { approver, at: now, scriptHash: change.scriptHash }];
  const needed = Math.max(1, group.approvals);
  return { ok: true, approvals, quorumReached: approvals.length >= needed, needed };
}

/** A rejection is final and must say why. */
export function decideRejection(
  change: Change,
  group: PolicyGroup,
  approver: string,
  reason: string,
  now: Date,
): RejectionDecision {
  const refusal = checkReviewer(change, group, approver, now);
  if (refusal) return refusal;
  if (reason.trim().length === 0) return refuse('reason_required', 'a rejection needs a reason');
  return { ok: true };
}
