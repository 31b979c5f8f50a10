import { hasCapability, type PortalCapability } from '../../domain/access/portalRoles.js';
import type { PolicyUser } from '../../domain/policy/policy.js';
import { ServiceError } from '../serviceError.js';

const WHAT: Readonly<Record<PortalCapability, string>> = {
  viewAllChanges: 'see every change',
  viewAuditTrail: 'read the audit trail (auditor role)',
  viewPolicy: 'read the policy (admin or auditor role)',
  viewOutbox: 'read the outbox (admin or auditor role)',
  terminateSessions: 'terminate sessions (security role)',
  lockUsers: 'lock and unlock users (security role)',
  searchAllCommands: "search other people's sessions (auditor, security or admin role)",
  backtestPolicy: 'backtest a draft policy (auditor, security or admin role)',
};

export function requireCapability(user: PolicyUser, capability: PortalCapability): void {
  if (!hasCapability(user, capability)) throw new ServiceError('forbidden', `${user.id} may not ${WHAT[capability]}`);
}
