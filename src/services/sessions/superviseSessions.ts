import { liveSessionRefusal } from '../../domain/session/sessionAdmission.js';
import type { Session, SessionState } from '../../domain/session/session.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { LiveSession } from './liveSession.js';
import { actorOf } from './openSession.js';
import type { SessionAlerts } from './sessionAlerts.js';

/** A live session that may not go on, and the one line the user is told. */
export interface SessionCut {
  readonly sessionId: string;
  readonly reason: string;
}

/**
 * Which of this process's live sessions must end now: those terminated from elsewhere (the
 * security channel's button, any process), those whose change was revoked, cancelled or
 * whose window ended, and those whose user was locked. Reads the store once per distinct
 * change and user, so watching many sessions stays cheap.
 */
export async function reviewLiveSessions(deps: ServiceDeps, owner: string, live: readonly LiveSession[]): Promise<SessionCut[]> {
  if (live.length === 0) return [];
  const now = deps.clock();
  const active = new Set((await deps.store.sessions.listActive(owner)).map((s) => s.id));
  const changes = new Map<string, string | null>();
  const locks = new Map<string, string | null>();
  const cuts: SessionCut[] = [];
  for (const { scope } of live) {
    const { session } = scope;
    if (!active.has(session.id)) {
      const stored = await deps.store.sessions.findById(session.id);
      cuts.push({ sessionId: session.id, reason: stored?.endReason ? `session terminated: ${stored.endReason}` : 'session terminated' });
      continue;
    }
    if (!changes.has(session.changeCode)) {
      const change = await deps.store.changes.findByCode(session.changeCode);
      changes.set(session.changeCode, change ? liveSessionRefusal(change, now) : `${session.changeCode} no longer exists`);
    }
    const changeReason = changes.get(session.changeCode);
    if (changeReason) {
      cuts.push({ sessionId: session.id, reason: changeReason });
      continue;
    }
    if (!locks.has(session.user)) {
      const lock = await deps.store.accounts.findLock(session.user);
      locks.set(session.user, lock ? `your account was locked: ${lock.reason}` : null);
    }
    const lockReason = locks.get(session.user);
    if (lockReason) cuts.push({ sessionId: session.id, reason: lockReason });
  }
  return cuts;
}

/**
 * Records the end of a session (once: a session already ended elsewhere, e.g. terminated
 * from Slack, keeps that record), audits it and raises the Remote Session notification.
 */
export async function endSession(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  live: LiveSession,
  state: Exclude<SessionState, 'active'>,
  reason: string,
  endedAt: Date = deps.clock(),
): Promise<Session | null> {
  const { session } = live.scope;
  const ended = await deps.store.sessions.update(session.id, 'active', { state, endedAt, endReason: reason });
  const final = ended ?? (await deps.store.sessions.findById(session.id));
  if (ended) {
    await deps.audit.record(state === 'ended' ? actorOf(session) : { userId: 'system', terminal: 'proxy' }, {
      status: state === 'ended_abnormally' ? 'F' : 'S',
      eventType: state === 'ended' || state === 'ended_abnormally' ? 'CLOSE' : state === 'interrupted' ? 'INTERRUPT' : 'TERMINATE',
      class: 'SESSION',
      object: session.id,
      change: session.changeCode,
      reason,
    });
  }
  if (final) alerts.sessionEnded(live.change, final, final.endReason ?? reason);
  return final;
}

/**
 * At start: sessions this process left open when it stopped (or died) are marked as such,
 * audited, and (with `alerts`) their end is raised, since the security channel was told
 * they started and nothing else will ever say they ended.
 */
export async function recoverAbandonedSessions(deps: ServiceDeps, owner: string, alerts?: SessionAlerts): Promise<Session[]> {
  const recovered: Session[] = [];
  for (const session of await deps.store.sessions.listActive(owner)) {
    const reason = 'the proxy stopped while the session was open';
    const updated = await deps.store.sessions.update(session.id, 'active', { state: 'ended_abnormally', endedAt: deps.clock(), endReason: reason });
    if (!updated) continue;
    await deps.audit.record({ userId: 'system', terminal: 'proxy' }, {
      status: 'F',
      eventType: 'CLOSE',
      class: 'SESSION',
      object: session.id,
      change: session.changeCode,
      reason,
    });
    recovered.push(updated);
    const change = alerts && (await deps.store.changes.findByCode(session.changeCode));
    if (change) alerts.sessionEnded(change, updated, reason);
  }
  return recovered;
}
