import type { Change } from '../change/change.js';
import { canTransition } from '../change/lifecycle.js';
import type { PolicyGroup, PolicyUser, Role } from '../policy/policy.js';
import type { Session } from '../session/session.js';

/**
 * Who may see and do what, on the web and in Slack. Requester, member and approver rights come
 * from facts (who filed the change, whom its group lists); the other rights come from roles.
 * The services still enforce their own rules (four eyes, quorum, lifecycle): these rights
 * decide what is shown and what is refused before a service is even asked.
 */
export const PORTAL_CAPABILITIES = [
  /** Every change and session, read-only. */
  'viewAllChanges',
  'viewAuditTrail',
  'viewPolicy',
  'viewOutbox',
  'terminateSessions',
  'lockUsers',
] as const;
export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

const CAPABILITIES_BY_ROLE: Readonly<Record<Role, readonly PortalCapability[]>> = {
  requester: [],
  approver: [],
  auditor: ['viewAllChanges', 'viewAuditTrail', 'viewPolicy', 'viewOutbox'],
  security: ['viewAllChanges', 'terminateSessions', 'lockUsers'],
  admin: ['viewAllChanges', 'viewPolicy', 'viewOutbox'],
};

export function capabilitiesOf(user: PolicyUser): ReadonlySet<PortalCapability> {
  return new Set(user.roles.flatMap((role) => CAPABILITIES_BY_ROLE[role]));
}

export function hasCapability(user: PolicyUser, capability: PortalCapability): boolean {
  return capabilitiesOf(user).has(capability);
}

export interface ChangeRights {
  readonly view: boolean;
  readonly approve: boolean;
  readonly reject: boolean;
  readonly revoke: boolean;
  readonly cancel: boolean;
  /** The requester changes what the change does (before its window; approvals start over). */
  readonly edit: boolean;
  /** The requester moves the window (before work starts; approvals start over). */
  readonly reschedule: boolean;
  /** The requester ends a change in progress before its window does ("finish now"). */
  readonly finish: boolean;
}

/**
 * A change is seen by its requester, its group's members (the group's channel shows them its
 * changes anyway) and approvers, and read-only by auditors, security and admins. `group` is
 * the change's access group as the policy has it now (undefined if it was deleted).
 */
export function changeRightsOf(user: PolicyUser, change: Change, group: PolicyGroup | undefined): ChangeRights {
  const isRequester = change.requester === user.id;
  const isApprover = group?.approvers.includes(user.id) ?? false;
  const isMember = group?.members.includes(user.id) ?? false;
  const view = isRequester || isMember || isApprover || hasCapability(user, 'viewAllChanges');
  const reviewer = isApprover && !isRequester && change.status === 'pending_approval';
  const approvedAlready = change.approvals.some((a) => a.approver === user.id && a.scriptHash === change.scriptHash);
  return {
    view,
    approve: reviewer && !approvedAlready,
    reject: reviewer,
    revoke: isApprover && canTransition(change.status, 'revoke'),
    cancel: isRequester && canTransition(change.status, 'cancel'),
    edit: isRequester && canTransition(change.status, 'edit'),
    reschedule: isRequester && canTransition(change.status, 'reschedule'),
    finish: isRequester && change.status === 'in_progress',
  };
}

/** Pending, in a group this user approves for, filed by someone else, not yet approved by them. */
export function awaitsDecisionBy(user: PolicyUser, change: Change, group: PolicyGroup | undefined): boolean {
  return changeRightsOf(user, change, group).approve;
}

export interface SessionRights {
  readonly view: boolean;
  readonly terminate: boolean;
  readonly lockUser: boolean;
}

/** A session is seen by whoever sees its change; cutting it and locking its user are security's. */
export function sessionRightsOf(user: PolicyUser, session: Session, change: ChangeRights): SessionRights {
  return {
    view: change.view,
    terminate: change.view && session.state === 'active' && hasCapability(user, 'terminateSessions'),
    lockUser: change.view && hasCapability(user, 'lockUsers'),
  };
}

/** Which changes a user's lists may show: everything, or what they filed plus their groups'. */
export type ChangeScope =
  | { readonly all: true }
  | { readonly all: false; readonly requester: string; readonly groups: readonly string[] };

export function changeScopeOf(user: PolicyUser, groups: readonly PolicyGroup[]): ChangeScope {
  if (hasCapability(user, 'viewAllChanges')) return { all: true };
  return {
    all: false,
    requester: user.id,
    groups: groups.filter((g) => g.approvers.includes(user.id) || g.members.includes(user.id)).map((g) => g.id),
  };
}
