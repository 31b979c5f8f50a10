import { decideApproval, decideRejection } from '../../domain/approval/approvalPolicy.js';
import { approvalsNeeded } from '../../domain/approval/freezeQuorum.js';
import { describeFreeze } from '../../domain/change/freezes.js';
import type { Change } from '../../domain/change/change.js';
import { transition } from '../../domain/change/lifecycle.js';
import type { PolicyGroup } from '../../domain/policy/policy.js';
import { unsafeTextProblem } from '../../domain/validation/unsafeText.js';
import type { Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { freezesOf } from './changeConflicts.js';
import { auditRefusals, changeCommit, writeChange } from './changeWriter.js';
import { webApprovalRequirement } from './webApprovalRequirement.js';

export interface ApprovalOutcome {
  readonly change: Change;
  /** True when this approval completed the quorum and the change is now approved. */
  readonly approved: boolean;
  readonly approvalsNeeded: number;
}

/** Reasons are shown to requesters, on the web and in exports: plain readable text. */
export const MAX_REASON_LENGTH = 1000;

function checkReason(reason: string): void {
  const problem = reason.length > MAX_REASON_LENGTH ? `must be at most ${MAX_REASON_LENGTH} characters` : unsafeTextProblem(reason, { multiline: true });
  if (problem) throw new ServiceError('invalid', `the reason ${problem}`, { reason: problem });
}

async function groupOf(deps: ServiceDeps, change: Change): Promise<PolicyGroup> {
  const group = await deps.policies.group(change.group);
  if (!group) throw new ServiceError('conflict', `access group ${change.group} of ${change.code} no longer exists`);
  return group;
}

export interface ApproveOptions {
  /** The script the approver was shown: if it changed since, they must look again. */
  readonly seenScriptHash?: string | undefined;
  /**
   * True only when the approver is signed in on the web page. Changes at or above the
   * policy's `settings.requireWebApproval` risk are refused without it (fail closed).
   */
  readonly signedInOnWeb?: boolean | undefined;
}

/**
 * Records one approver's approval; the change becomes approved when the quorum is reached.
 * The approval, its audit record and its notifications are one write.
 */
export async function approveChange(
  deps: ServiceDeps,
  code: string,
  actor: Actor,
  options: ApproveOptions = {},
): Promise<ApprovalOutcome> {
  return auditRefusals(deps, actor, { eventType: 'APPROVE', object: code.toUpperCase() }, async () => {
    const { after, result } = await writeChange(
      deps,
      code,
      async (current) => {
        const group = await groupOf(deps, current);
        await authorise(deps, actor, 'change.approve', { change: current, group }, { eventType: 'APPROVE', class: 'CHANGE', object: current.code, change: current.code });
        // A window in a policy freeze: only an emergency may be approved, by one approver more.
        const freezes = freezesOf((await deps.policies.current()).policy, current);
        const quorum = { ...group, approvals: approvalsNeeded(group, current, freezes.length > 0) };
        const decision = decideApproval(current, quorum, actor.userId, deps.clock(), options.seenScriptHash);
        if (!decision.ok) {
          throw new ServiceError(decision.refusal === 'not_pending' ? 'conflict' : 'forbidden', decision.message);
        }
        if (freezes.length > 0 && !current.emergency) {
          throw new ServiceError(
            'conflict',
            `the window of ${current.code} falls in the change freeze ${freezes.map(describeFreeze).join('; ')}: it cannot be approved unless ${current.requester} moves it out, or flags it an emergency`,
          );
        }
        if (!options.signedInOnWeb) {
          const web = await webApprovalRequirement(deps, current);
          if (web.required) {
            throw new ServiceError(
              'forbidden',
              `${current.code} plans ${web.risk}-risk commands: approve it on the web page, signed in (policy settings.requireWebApproval: ${web.threshold})`,
            );
          }
        }
        const status = decision.quorumReached ? transition(current.status, 'approve') : null;
        return {
          patch: { approvals: decision.approvals, ...(status?.ok && { status: status.to }) },
          result: { quorumReached: decision.quorumReached, needed: decision.needed, freezes: freezes.map((f) => f.freeze.id) },
        };
      },
      (_before, after, result) =>
        changeCommit(
          deps,
          actor,
          after,
          {
            status: 'S',
            eventType: 'APPROVE',
            class: 'CHANGE',
            object: after.code,
            change: after.code,
            details:
              (result.quorumReached ? `approval ${after.approvals.length} of ${result.needed}: change approved` : `approval ${after.approvals.length} of ${result.needed}`) +
              (result.freezes.length > 0 ? ` (emergency in freeze ${result.freezes.join(', ')})` : ''),
          },
          { kind: 'approval_recorded', approver: actor.userId },
        ),
    );
    await deps.events.publish({ type: 'change.approval_recorded', change: after, approver: actor.userId });
    if (result.quorumReached) await deps.events.publish({ type: 'change.approved', change: after });
    return { change: after, approved: result.quorumReached, approvalsNeeded: result.needed };
  });
}

/** A rejection is final and must carry a reason. */
export async function rejectChange(deps: ServiceDeps, code: string, actor: Actor, reason: string): Promise<Change> {
  checkReason(reason);
  return auditRefusals(deps, actor, { eventType: 'REJECT', object: code.toUpperCase(), reason }, async () => {
    const { after } = await writeChange(
      deps,
      code,
      async (current) => {
        const group = await groupOf(deps, current);
        await authorise(deps, actor, 'change.reject', { change: current, group }, { eventType: 'REJECT', class: 'CHANGE', object: current.code, change: current.code, reason });
        const decision = decideRejection(current, group, actor.userId, reason, deps.clock());
        if (!decision.ok) {
          const kind = decision.refusal === 'not_pending' ? 'conflict' : decision.refusal === 'reason_required' ? 'invalid' : 'forbidden';
          throw new ServiceError(kind, decision.message, kind === 'invalid' ? { reason: decision.message } : {});
        }
        const moved = transition(current.status, 'reject');
        if (!moved.ok) throw new ServiceError('conflict', moved.message);
        return { patch: { status: moved.to, rejection: { by: actor.userId, at: deps.clock(), reason: reason.trim() } }, result: null };
      },
      (_before, after) =>
        changeCommit(deps, actor, after, { status: 'S', eventType: 'REJECT', class: 'CHANGE', object: after.code, change: after.code, reason: reason.trim() }, { kind: 'rejected' }),
    );
    await deps.events.publish({ type: 'change.rejected', change: after });
    return after;
  });
}

/**
 * An approver withdraws an approved change, also mid-window: subscribers (the proxy) cut
 * its live sessions when they see `change.revoked` (and every proxy sees it within a second
 * by watching the store).
 */
export async function revokeChange(deps: ServiceDeps, code: string, actor: Actor, reason: string): Promise<Change> {
  checkReason(reason);
  return auditRefusals(deps, actor, { eventType: 'REVOKE', object: code.toUpperCase(), reason }, async () => {
    if (reason.trim().length === 0) throw new ServiceError('invalid', 'a revocation needs a reason', { reason: 'is required' });
    const { after } = await writeChange(
      deps,
      code,
      async (current) => {
        const group = await groupOf(deps, current);
        await authorise(deps, actor, 'change.revoke', { change: current, group }, { eventType: 'REVOKE', class: 'CHANGE', object: current.code, change: current.code, reason });
        const moved = transition(current.status, 'revoke');
        if (!moved.ok) throw new ServiceError('conflict', moved.message);
        return { patch: { status: moved.to, revocation: { by: actor.userId, at: deps.clock(), reason: reason.trim() } }, result: null };
      },
      (_before, after) =>
        changeCommit(deps, actor, after, { status: 'S', eventType: 'REVOKE', class: 'CHANGE', object: after.code, change: after.code, reason: reason.trim() }, { kind: 'revoked' }),
    );
    await deps.events.publish({ type: 'change.revoked', change: after });
    return after;
  });
}

/** The requester withdraws their own change before work starts. */
export async function cancelChange(deps: ServiceDeps, code: string, actor: Actor, reason = ''): Promise<Change> {
  checkReason(reason);
  return auditRefusals(deps, actor, { eventType: 'CANCEL', object: code.toUpperCase(), reason }, async () => {
    const { after } = await writeChange(
      deps,
      code,
      async (current) => {
        await authorise(deps, actor, 'change.cancel', { change: current, group: await deps.policies.group(current.group) }, { eventType: 'CANCEL', class: 'CHANGE', object: current.code, change: current.code, reason: reason || undefined });
        const moved = transition(current.status, 'cancel');
        if (!moved.ok) throw new ServiceError('conflict', moved.message);
        return { patch: { status: moved.to, cancellation: { by: actor.userId, at: deps.clock(), reason } }, result: null };
      },
      (_before, after) =>
        changeCommit(deps, actor, after, { status: 'S', eventType: 'CANCEL', class: 'CHANGE', object: after.code, change: after.code, reason: reason || undefined }, { kind: 'cancelled' }),
    );
    await deps.events.publish({ type: 'change.cancelled', change: after });
    return after;
  });
}
