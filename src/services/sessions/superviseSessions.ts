import { liveSessionRefusal } from '../../domain/session/sessionAdmission.js';
import type { Session, SessionState } from '../../domain/session/session.js';
import type { Change } from '../../domain/change/change.js';
import { systemActor, type Actor } from '../actor.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { LiveSession } from './liveSession.js';
import { actorOf } from './openSession.js';
import { sessionEndedNotice, type SessionAlerts } from './sessionAlerts.js';

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
  const actor = state === 'ended' ? actorOf(session) : systemActor('proxy');
  const ended = await writeSessionEnd(deps, actor, live.change, session, { state, endedAt, endReason: reason }, {
    status: state === 'ended_abnormally' ? 'F' : 'S',
    eventType: state === 'ended' || state === 'ended_abnormally' ? 'CLOSE' : state === 'interrupted' ? 'INTERRUPT' : 'TERMINATE',
  });
  // Ended elsewhere first (terminated from Slack or the web): that write announced it.
  return ended ?? (await deps.store.sessions.findById(session.id));
}

/** The end of a session, its record and its announcement to the security channel: one write, once. */
async function writeSessionEnd(
  deps: ServiceDeps,
  actor: Actor,
  change: Change,
  session: Session,
  end: { state: Exclude<SessionState, 'active'>; endedAt: Date; endReason: string },
  record: { status: 'S' | 'F'; eventType: string },
): Promise<Session | null> {
  const final: Session = { ...session, ...end };
  const commit = await new CommitBuilder(deps, actor)
    .audit({ ...record, class: 'SESSION', object: session.id, change: session.changeCode, reason: end.endReason })
    .notify(sessionEndedNotice(change, final, end.endReason))
    .build();
  const ended = await deps.store.sessions.update(session.id, 'active', end, commit);
  if (ended) committed(deps, commit);
  return ended;
}

/**
 * At start: sessions this process left open when it stopped (or died) are marked as such,
 * audited, and (with `alerts`) their end is raised, since the security channel was told
 * they started and nothing else will ever say they ended.
 */
export async function recoverAbandonedSessions(deps: ServiceDeps, owner: string, _alerts?: SessionAlerts): Promise<Session[]> {
  const recovered: Session[] = [];
  for (const session of await deps.store.sessions.listActive(owner)) {
    const reason = 'the proxy stopped while the session was open';
    const change = await deps.store.changes.findByCode(session.changeCode);
    const end = { state: 'ended_abnormally' as const, endedAt: deps.clock(), endReason: reason };
    const updated = change
      ? await writeSessionEnd(deps, systemActor('proxy'), change, session, end, { status: 'F', eventType: 'CLOSE' })
      : await deps.store.sessions.update(session.id, 'active', end);
    if (updated) recovered.push(updated);
  }
  return recovered;
}
