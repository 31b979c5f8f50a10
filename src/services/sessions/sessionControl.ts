import { accountAudience } from '../../domain/notifications/audiences.js';
import type { NotificationData } from '../../domain/notifications/catalogue.js';
import type { Session } from '../../domain/session/session.js';
import { unsafeTextProblem } from '../../domain/validation/unsafeText.js';
import type { Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { sessionEndedNotice } from './sessionAlerts.js';

const MAX_REASON = 1000;

/** Terminating and locking say why, in one line of plain text (it reaches the user and the trail). */
function requireReason(reason: string, what: string): string {
  const trimmed = reason.trim();
  if (trimmed === '') throw new ServiceError('invalid', `${what} needs a reason`, { reason: 'is required' });
  const problem = trimmed.length > MAX_REASON ? `must be at most ${MAX_REASON} characters` : unsafeTextProblem(trimmed, { multiline: true });
  if (problem) throw new ServiceError('invalid', `the reason ${problem}`, { reason: problem });
  return trimmed;
}

/**
 * Marks a live session terminated (security, from Slack or the web; the scheduler at the
 * window's end). The proxy process that serves it sees the state change (it watches its
 * sessions in the store, so this works from any process) and cuts it. The state, its
 * TERMINATE record and the security channel's notice are one write.
 */
export async function terminateSession(deps: ServiceDeps, sessionId: string, actor: Actor, reason: string): Promise<Session> {
  const why = requireReason(reason, 'terminating a session');
  const attempt = { eventType: 'TERMINATE', class: 'SESSION', object: sessionId, reason: why };
  await authorise(deps, actor, 'session.terminate', {}, attempt);
  const session = await deps.store.sessions.findById(sessionId);
  if (!session) throw new ServiceError('not_found', `no session ${sessionId}`);
  const end = { state: 'terminated' as const, endedAt: deps.clock(), endReason: why };
  const change = await deps.store.changes.findByCode(session.changeCode);
  const builder = new CommitBuilder(deps, actor).audit({ status: 'S', eventType: 'TERMINATE', class: 'SESSION', object: sessionId, change: session.changeCode, reason: why });
  if (change) builder.notify(sessionEndedNotice(change, { ...session, ...end }, why));
  const commit = await builder.build();
  const updated = await deps.store.sessions.update(sessionId, 'active', end, commit);
  if (!updated) {
    await deps.audit.record(actor, { status: 'D', ...attempt, change: session.changeCode, details: `session is not active (${session.state})` });
    const refusal = new ServiceError('conflict', `session ${sessionId} is not active (${session.state})`);
    refusal.audited = true;
    throw refusal;
  }
  committed(deps, commit);
  return updated;
}

/** Where an automatic lock came from: shown with the alert, so security sees what tipped it. */
export interface LockContext {
  readonly session?: NonNullable<NotificationData['session']> | undefined;
  readonly command?: NotificationData['command'];
  readonly change?: string | undefined;
}

/**
 * Locks a user out of the proxy until unlocked (security; the proxy when a rule's `lockAfter`
 * is reached). Their live sessions are cut by the proxy, and their web sessions end with the
 * lock. The lock, its LOCK record and the alert to the security channel (naming the user,
 * with Unlock and Terminate) are one write. Returns false when the user was locked already.
 */
export async function lockUser(deps: ServiceDeps, userId: string, actor: Actor, reason: string, context: LockContext = {}): Promise<boolean> {
  const why = requireReason(reason, 'locking a user');
  await authorise(deps, actor, 'user.lock', { account: userId }, { eventType: 'LOCK', class: 'USER', object: userId, reason: why, change: context.change });
  if (!(await deps.policies.user(userId))) throw new ServiceError('not_found', `no user ${userId} in the policy`);
  const at = deps.clock();
  const commit = await new CommitBuilder(deps, actor)
    .audit({ status: 'S', eventType: 'LOCK', class: 'USER', object: userId, change: context.change, reason: why })
    .notify({
      type: 'session.account_locked',
      audience: accountAudience(userId),
      data: {
        actor: actor.kind === 'system' ? undefined : actor.userId,
        reason: why,
        details: { user: userId },
        ...(context.session && { session: context.session }),
        ...(context.command && { command: context.command }),
      },
      dedupeKey: `session.account_locked:${userId}:${at.toISOString()}`,
    })
    .build();
  const locked = await deps.store.accounts.lock({ user: userId, at, reason: why, by: actor.userId }, commit);
  if (!locked) {
    await deps.audit.record(actor, { status: 'F', eventType: 'LOCK', class: 'USER', object: userId, change: context.change, reason: why, details: 'already locked' });
    return false;
  }
  committed(deps, commit);
  return true;
}

/** Lets a locked user use the proxy again (security). Returns false when they were not locked. */
export async function unlockUser(deps: ServiceDeps, userId: string, actor: Actor): Promise<boolean> {
  await authorise(deps, actor, 'user.unlock', { account: userId }, { eventType: 'UNLOCK', class: 'USER', object: userId });
  const commit = await new CommitBuilder(deps, actor)
    .audit({ status: 'S', eventType: 'UNLOCK', class: 'USER', object: userId })
    .notify({
      type: 'session.account_unlocked',
      audience: accountAudience(userId),
      data: { actor: actor.userId, details: { user: userId } },
      dedupeKey: `session.account_unlocked:${userId}:${deps.clock().toISOString()}`,
    })
    .build();
  const unlocked = await deps.store.accounts.unlock(userId, commit);
  if (!unlocked) {
    await deps.audit.record(actor, { status: 'F', eventType: 'UNLOCK', class: 'USER', object: userId, details: 'was not locked' });
    return false;
  }
  committed(deps, commit);
  return true;
}
