import type { Session } from '../../domain/session/session.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

/**
 * Marks a live session terminated. The proxy process that serves it sees the state change
 * (it watches its sessions in the store, so this works from any process) and cuts it.
 */
export async function terminateSession(deps: ServiceDeps, sessionId: string, actor: Actor, reason: string): Promise<Session> {
  const session = await deps.store.sessions.findById(sessionId);
  if (!session) throw new ServiceError('not_found', `no session ${sessionId}`);
  const updated = await deps.store.sessions.update(sessionId, 'active', {
    state: 'terminated',
    endedAt: deps.clock(),
    endReason: reason,
  });
  if (!updated) throw new ServiceError('conflict', `session ${sessionId} is not active (${session.state})`);
  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'TERMINATE',
    class: 'SESSION',
    object: sessionId,
    change: session.changeCode,
    reason,
  });
  return updated;
}

/** Locks a user out of the proxy until unlocked; live sessions are cut by the proxy. */
export async function lockUser(deps: ServiceDeps, userId: string, actor: Actor, reason: string): Promise<boolean> {
  const locked = await deps.store.accounts.lock({ user: userId, at: deps.clock(), reason, by: actor.userId });
  // A locked account is suspect: its web sessions end too (it may sign in again, and is audited).
  await deps.store.accounts.endWebSessions(userId, deps.clock());
  await deps.audit.record(actor, {
    status: locked ? 'S' : 'F',
    eventType: 'LOCK',
    class: 'USER',
    object: userId,
    reason,
    details: locked ? undefined : 'already locked',
  });
  return locked;
}

export async function unlockUser(deps: ServiceDeps, userId: string, actor: Actor): Promise<boolean> {
  const unlocked = await deps.store.accounts.unlock(userId);
  await deps.audit.record(actor, {
    status: unlocked ? 'S' : 'F',
    eventType: 'UNLOCK',
    class: 'USER',
    object: userId,
    details: unlocked ? undefined : 'was not locked',
  });
  return unlocked;
}
