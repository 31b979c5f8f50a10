import type { Change } from '../change/change.js';
import type { PolicyGroup, PolicyUser, Role } from '../policy/policy.js';

/**
 * Who may do what: the one table every adapter's answer comes from. Services ask
 * `decideAccess` before they act (and audit a refusal); Slack, the web portal and the CLI only
 * translate the typed refusal. Whether the change's state allows the action (a rejected
 * change cannot be approved) is the lifecycle's question, asked after this one.
 */
export const ACTIONS = [
  'change.file',
  'change.view',
  'change.edit',
  'change.reschedule',
  'change.approve',
  'change.reject',
  'change.revoke',
  'change.cancel',
  'change.close',
  'session.open',
  'session.terminate',
  'session.watch',
  'user.lock',
  'user.unlock',
  'locks.view',
  'sessions.viewLive',
  'audit.view',
  'policy.view',
  'policy.import',
  'policy.backtest',
  'commands.searchAll',
  'outbox.view',
  'report.view',
  'reportSchedule.manage',
  'key.manage',
  'web.signOut',
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * How a person stands towards what they act on. `requester` filed the change; `executor` is
 * named on it to carry it out; `member` and `approver` come from its access group; `self`
 * is an action on one's own account (keys, web sessions).
 */
export const RELATIONS = ['requester', 'executor', 'member', 'approver', 'self'] as const;
export type Relation = (typeof RELATIONS)[number];

/** Who asks: a person of the policy, changeguard itself (scheduler, proxy, POLICY_FILE), or an operator holding the store (the CLI). */
export type Asker =
  | { readonly kind: 'user'; readonly user: PolicyUser }
  | { readonly kind: 'system' }
  | { readonly kind: 'operator'; readonly name: string };

export interface AccessSubject {
  /** The change acted on (for filing: the change as it would be filed). */
  readonly change?: Change | undefined;
  /** The change's access group as the policy has it now (for filing: the chosen group). */
  readonly group?: PolicyGroup | undefined;
  /** The account acted on, for actions on one's own account. */
  readonly account?: string | undefined;
}

export interface AccessRule {
  /** Any of these roles is enough. */
  readonly roles?: readonly Role[];
  /** Any of these relations is enough. */
  readonly relations?: readonly Relation[];
  /** These relations exclude, whatever else holds (four eyes). */
  readonly never?: readonly Relation[];
  /** changeguard itself may (scheduled steps, the proxy, POLICY_FILE at start). */
  readonly system?: boolean;
  /** An operator with the store in hand may (the CLI). */
  readonly operator?: boolean;
}

/** The table. Documented in docs/DESIGN.md ("Who may do what"); change both together. */
export const ACCESS_RULES: Readonly<Record<Action, AccessRule>> = {
  'change.file': { relations: ['member'] },
  'change.view': { relations: ['requester', 'executor', 'member', 'approver'], roles: ['auditor', 'security', 'admin'], system: true },
  'change.edit': { relations: ['requester'] },
  'change.reschedule': { relations: ['requester'] },
  // Four eyes: whoever filed the change or will carry it out never reviews it.
  'change.approve': { relations: ['approver'], never: ['requester', 'executor'] },
  'change.reject': { relations: ['approver'], never: ['requester', 'executor'] },
  'change.revoke': { relations: ['approver'] },
  'change.cancel': { relations: ['requester'] },
  // The requester may finish early; the scheduler closes at the window's end.
  'change.close': { relations: ['requester'], system: true },
  'session.open': { relations: ['requester', 'executor'] },
  'session.terminate': { roles: ['security'], system: true },
  // Watching a live session shows everything the user's terminal shows: the roles that see every session.
  'session.watch': { roles: ['auditor', 'security', 'admin'] },
  'user.lock': { roles: ['security'], system: true },
  'user.unlock': { roles: ['security'] },
  'locks.view': { roles: ['security'] },
  'sessions.viewLive': { roles: ['auditor', 'security', 'admin'] },
  'audit.view': { roles: ['auditor'], operator: true },
  'policy.view': { roles: ['admin', 'auditor'] },
  'policy.import': { roles: ['admin'], system: true, operator: true },
  // Trying a draft reads every recorded command: the roles that read every session, and an
  // operator with the store in hand (the CLI).
  'policy.backtest': { roles: ['auditor', 'security', 'admin'], operator: true },
  // Everyone searches the commands of their own sessions; these roles search everyone's.
  'commands.searchAll': { roles: ['auditor', 'security', 'admin'], operator: true },
  'outbox.view': { roles: ['admin', 'auditor'] },
  'report.view': { roles: ['auditor', 'security', 'admin'], system: true },
  'reportSchedule.manage': { roles: ['admin', 'auditor'] },
  'key.manage': { relations: ['self'] },
  'web.signOut': { relations: ['self'] },
};

export type AccessDecision = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

const ALLOWED: AccessDecision = { allowed: true };

/** The relations `userId` has to the subject. */
export function relationsOf(userId: string, subject: AccessSubject): ReadonlySet<Relation> {
  const relations = new Set<Relation>();
  const { change, group } = subject;
  if (change?.requester === userId) relations.add('requester');
  if (change?.executors?.includes(userId)) relations.add('executor');
  if (group?.members.includes(userId)) relations.add('member');
  if (group?.approvers.includes(userId)) relations.add('approver');
  if (subject.account === userId) relations.add('self');
  return relations;
}

/** Whether `asker` may take `action` on `subject`, and if not, the one line that says why. */
export function decideAccess(action: Action, asker: Asker, subject: AccessSubject = {}): AccessDecision {
  const rule = ACCESS_RULES[action];
  if (asker.kind === 'system') return rule.system ? ALLOWED : refuse(action, 'changeguard', new Set(), subject);
  if (asker.kind === 'operator') return rule.operator ? ALLOWED : refuse(action, asker.name, new Set(), subject);
  const { user } = asker;
  const relations = relationsOf(user.id, subject);
  if (rule.never?.some((relation) => relations.has(relation))) return refuse(action, user.id, relations, subject);
  const byRole = rule.roles?.some((role) => user.roles.includes(role)) ?? false;
  const byRelation = rule.relations?.some((relation) => relations.has(relation)) ?? false;
  return byRole || byRelation ? ALLOWED : refuse(action, user.id, relations, subject);
}

export function isAllowed(action: Action, asker: Asker, subject: AccessSubject = {}): boolean {
  return decideAccess(action, asker, subject).allowed;
}

/** Roles a rule accepts, as people read them: `the security role`, `one of the roles auditor, admin`. */
function rolesText(roles: readonly Role[] | undefined): string {
  if (!roles || roles.length === 0) return 'a role no one has';
  return roles.length === 1 ? `the ${roles[0]} role` : `one of the roles ${roles.join(', ')}`;
}

/** Worded for the person refused: what they lack, and who may. */
function refuse(action: Action, who: string, relations: ReadonlySet<Relation>, subject: AccessSubject): AccessDecision {
  const code = subject.change?.code ?? 'the change';
  const groupId = subject.group?.id ?? subject.change?.group ?? 'its group';
  const requester = subject.change?.requester ?? 'its requester';
  const message = ((): string => {
    switch (action) {
      case 'change.file':
        return `you are not a member of ${groupId}`;
      case 'change.view':
        return `${code} belongs to group ${groupId}, which you are not part of`;
      case 'change.edit':
        return `only ${requester}, who filed ${code}, can edit it`;
      case 'change.reschedule':
        return `only ${requester}, who filed ${code}, can reschedule it`;
      case 'change.cancel':
        return `only ${requester}, who filed ${code}, can cancel it`;
      case 'change.close':
        return `only ${requester}, who filed ${code}, can finish it`;
      case 'change.approve':
      case 'change.reject':
        if (relations.has('requester')) return `${who} filed ${code} and cannot review it (four-eyes rule)`;
        if (relations.has('executor')) return `${who} is named to carry out ${code} and cannot review it (four-eyes rule)`;
        return `${who} is not an approver of group ${groupId}`;
      case 'change.revoke':
        return `${who} is not an approver of group ${groupId}`;
      case 'session.open':
        return `you are not the requester of ${code} nor named on it to carry it out`;
      case 'session.terminate':
        return `terminate needs ${rolesText(ACCESS_RULES[action].roles)}`;
      case 'session.watch':
        return `watching a live session needs ${rolesText(ACCESS_RULES[action].roles)}`;
      case 'user.lock':
        return `lock needs ${rolesText(ACCESS_RULES[action].roles)}`;
      case 'user.unlock':
        return `unlock needs ${rolesText(ACCESS_RULES[action].roles)}`;
      case 'locks.view':
        return `${who} may not lock and unlock users (security role)`;
      case 'sessions.viewLive':
        return `${who} may not see every change (${rolesText(ACCESS_RULES[action].roles)})`;
      case 'audit.view':
        return `${who} may not read the audit trail (auditor role)`;
      case 'policy.view':
        return `${who} may not read the policy (admin or auditor role)`;
      case 'policy.import':
        return `${who} may not import the policy (admin role)`;
      case 'policy.backtest':
        return `${who} may not backtest a draft policy (auditor, security or admin role)`;
      case 'commands.searchAll':
        return `${who} may only search their own sessions (searching other people's needs the auditor, security or admin role)`;
      case 'outbox.view':
        return `${who} may not read the outbox (admin or auditor role)`;
      case 'report.view':
        return `report needs ${rolesText(ACCESS_RULES[action].roles)}`;
      case 'reportSchedule.manage':
        return `${who} may not manage scheduled reports (admin or auditor role)`;
      case 'key.manage':
        return `${who} may only manage their own SSH keys`;
      case 'web.signOut':
        return `${who} may only sign themselves out`;
    }
  })();
  return { allowed: false, message };
}
