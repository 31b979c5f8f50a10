import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Session } from '../../domain/session/session.js';
import type { AccountLock } from '../../store/accountRepository.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { lockUser, terminateSession, unlockUser } from '../sessions/sessionControl.js';
import { loadSessionFor } from './changeAccess.js';
import { requireCapability } from './requireCapability.js';

/** Refusals of these privileged actions are audited (status D), as the change decisions are. */
async function auditingRefusal<T>(deps: ServiceDeps, actor: Actor, what: { eventType: string; class: string; object: string; change?: string | undefined; reason?: string }, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ServiceError && (error.kind === 'forbidden' || error.kind === 'conflict')) {
      await deps.audit.record(actor, { status: 'D', ...what, details: error.message });
    }
    throw error;
  }
}

/** Security cuts a live session from the web page. */
export async function terminateSessionAs(deps: ServiceDeps, user: PolicyUser, actor: Actor, sessionId: string, reason: string): Promise<Session> {
  return auditingRefusal(deps, actor, { eventType: 'TERMINATE', class: 'SESSION', object: sessionId, reason }, async () => {
    requireCapability(user, 'terminateSessions');
    if (reason.trim() === '') throw new ServiceError('invalid', 'terminating a session needs a reason', { reason: 'is required' });
    await loadSessionFor(deps, user, sessionId);
    return terminateSession(deps, sessionId, actor, reason.trim());
  });
}

/** Security locks a user out of the proxy. */
export async function lockUserAs(deps: ServiceDeps, user: PolicyUser, actor: Actor, target: string, reason: string): Promise<boolean> {
  return auditingRefusal(deps, actor, { eventType: 'LOCK', class: 'USER', object: target, reason }, async () => {
    requireCapability(user, 'lockUsers');
    if (reason.trim() === '') throw new ServiceError('invalid', 'locking a user needs a reason', { reason: 'is required' });
    if (!(await deps.policies.user(target))) throw new ServiceError('not_found', `no user ${target} in the policy`);
    return lockUser(deps, target, actor, reason.trim());
  });
}

export async function unlockUserAs(deps: ServiceDeps, user: PolicyUser, actor: Actor, target: string): Promise<boolean> {
  return auditingRefusal(deps, actor, { eventType: 'UNLOCK', class: 'USER', object: target }, async () => {
    requireCapability(user, 'lockUsers');
    return unlockUser(deps, target, actor);
  });
}

/** Who is locked out of the proxy now, for security. */
export async function listLocksFor(deps: ServiceDeps, user: PolicyUser): Promise<AccountLock[]> {
  requireCapability(user, 'lockUsers');
  return deps.store.accounts.listLocks();
}

/** Sessions open right now, for those who see every change (auditors, security). */
export async function listActiveSessionsFor(deps: ServiceDeps, user: PolicyUser): Promise<Session[]> {
  requireCapability(user, 'viewAllChanges');
  return deps.store.sessions.listActive();
}
