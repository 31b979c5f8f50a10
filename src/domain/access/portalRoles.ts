import type { Change } from '../change/change.js';
import { canTransition } from '../change/lifecycle.js';
import type { PolicyGroup, PolicyUser } from '../policy/policy.js';
import type { Session } from '../session/session.js';
import { isAllowed, type Action } from './authorisation.js';

/**
 * What a person's pages and lists show, read off the authorisation table
 * (`authorisation.ts`) and the lifecycle: a right is shown only when the table allows the
 * action and the change's state permits it now. Services decide again when asked.
 */
export const PORTAL_CAPABILITIES = [
  /** Every change and session, read-only. */
  'viewAllChanges',
  'viewAuditTrail',
  'viewPolicy',
  'viewOutbox',
  'terminateSessions',
  'lockUsers',
  /** Search every session's commands (others search their own sessions only). */
  'searchAllCommands',
  /** Judge past sessions' commands under a draft policy. */
  'backtestPolicy',
] as const;
export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

/** The table action behind each capability (all of them role-only). */
const CAPABILITY_ACTIONS: Readonly<Record<PortalCapability, Action>> = {
  viewAllChanges: 'sessions.viewLive',
  viewAuditTrail: 'audit.view',
  viewPolicy: 'policy.view',
  viewOutbox: 'outbox.view',
  terminateSessions: 'session.terminate',
  lockUsers: 'user.lock',
  searchAllCommands: 'commands.searchAll',
  backtestPolicy: 'policy.backtest',
};

export function capabilitiesOf(user: PolicyUser): ReadonlySet<PortalCapability> {
  return new Set(PORTAL_CAPABILITIES.filter((capability) => hasCapability(user, capability)));
}

export function hasCapability(user: PolicyUser, capability: PortalCapability): boolean {
  return isAllowed(CAPABILITY_ACTIONS[capability], { kind: 'user', user });
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
 * What `user` may do to `change` now. `group` is the change's access group as the policy has
 * it now (undefined if it was deleted: then only the roles that see every change see it).
 */
export function changeRightsOf(user: PolicyUser, change: Change, group: PolicyGroup | undefined): ChangeRights {
  const asker = { kind: 'user' as const, user };
  const subject = { change, group };
  const may = (action: Action) => isAllowed(action, asker, subject);
  const pending = change.status === 'pending_approval';
  const approvedAlready = change.approvals.some((a) => a.approver === user.id && a.scriptHash === change.scriptHash);
  return {
    view: may('change.view'),
    approve: pending && !approvedAlready && may('change.approve'),
    reject: pending && may('change.reject'),
    revoke: canTransition(change.status, 'revoke') && may('change.revoke'),
    cancel: canTransition(change.status, 'cancel') && may('change.cancel'),
    edit: canTransition(change.status, 'edit') && may('change.edit'),
    reschedule: canTransition(change.status, 'reschedule') && may('change.reschedule'),
    finish: change.status === 'in_progress' && may('change.close'),
  };
}

/** Pending, in a group this user approves for, theirs to review, not yet approved by them. */
export function awaitsDecisionBy(user: PolicyUser, change: Change, group: PolicyGroup | undefined): boolean {
  return changeRightsOf(user, change, group).approve;
}

export interface SessionRights {
  readonly view: boolean;
  readonly terminate: boolean;
  readonly lockUser: boolean;
  /** Follow it live in the browser while it is open (auditor, security, admin). */
  readonly watch: boolean;
}

/**
 * A session is seen by whoever sees its change; cutting it and locking its user are security's;
 * watching it live is for the roles that see every session.
 */
export function sessionRightsOf(user: PolicyUser, session: Session, change: ChangeRights): SessionRights {
  return {
    view: change.view,
    terminate: change.view && session.state === 'active' && hasCapability(user, 'terminateSessions'),
    lockUser: change.view && hasCapability(user, 'lockUsers'),
    watch: change.view && session.state === 'active' && isAllowed('session.watch', { kind: 'user', user }),
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
