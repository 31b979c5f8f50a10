import { decideAccess } from '../../domain/access/authorisation.js';
import type { PortalCapability } from '../../domain/access/portalRoles.js';
import type { PolicyUser } from '../../domain/policy/policy.js';
import { ServiceError } from '../serviceError.js';

/** The authorisation table's action behind each read-only capability of the portal. */
const ACTION_OF = {
  viewAllChanges: 'sessions.viewLive',
  viewAuditTrail: 'audit.view',
  viewPolicy: 'policy.view',
  viewOutbox: 'outbox.view',
  terminateSessions: 'session.terminate',
  lockUsers: 'locks.view',
  searchAllCommands: 'commands.searchAll',
  backtestPolicy: 'policy.backtest',
} as const satisfies Record<PortalCapability, string>;

/** Reading pages that need a role: refused with the table's words (reads are not audited). */
export function requireCapability(user: PolicyUser, capability: PortalCapability): void {
  const decision = decideAccess(ACTION_OF[capability], { kind: 'user', user });
  if (!decision.allowed) throw new ServiceError('forbidden', decision.message);
}
