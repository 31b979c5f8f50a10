import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Session } from '../../domain/session/session.js';
import type { AccountLock } from '../../store/accountRepository.js';
import { requireCapability } from './requireCapability.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** Who is locked out of the proxy now, for security. */
export async function listLocksFor(deps: ServiceDeps, user: PolicyUser): Promise<AccountLock[]> {
  requireCapability(user, 'lockUsers');
  return deps.store.accounts.listLocks();
}

/** Sessions open right now, for those who see every change (auditors, security, admins). */
export async function listActiveSessionsFor(deps: ServiceDeps, user: PolicyUser): Promise<Session[]> {
  requireCapability(user, 'viewAllChanges');
  return deps.store.sessions.listActive();
}
