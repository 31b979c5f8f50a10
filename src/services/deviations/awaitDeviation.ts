import type { DeviationRequest } from '../../domain/deviation/deviationRequest.js';
import { deviationDecidedNotice } from '../../domain/notifications/deviationNotices.js';
import { systemActor, type Actor } from '../actor.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { LiveSession } from '../sessions/liveSession.js';
import { actorOf } from '../sessions/openSession.js';

/** How often the waiting session reads its request: a decision from any process is seen within this. */
export const DEVIATION_POLL_MS = 500;

/**
 * Waits, in the proxy process serving the session, until the request is settled: by an
 * approver (any process: the store is where they meet, as with Terminate and locks), by the
 * timeout (written here as DEVIATION_TIMEOUT, a denial), or by the user's Ctrl-C (`cancel`
 * aborted: DEVIATION_CANCEL, with the abort's reason when it is a text, such as the session's end). Returns the request as settled; whichever settlement is
 * written first is the one that counts.
 */
export async function awaitDeviationDecision(
  deps: ServiceDeps,
  live: LiveSession,
  request: DeviationRequest,
  cancel: AbortSignal,
  pollMs: number = DEVIATION_POLL_MS,
): Promise<DeviationRequest> {
  for (;;) {
    const current = (await deps.store.deviations.findById(request.id)) ?? request;
    if (current.status !== 'pending') return current;
    if (cancel.aborted) {
      // The reason the caller aborted with (the session ended), else the user's Ctrl-C.
      const why = typeof cancel.reason === 'string' ? cancel.reason : 'cancelled by the user (Ctrl-C)';
      const cancelled = await endDeviation(deps, live, current, 'cancelled', actorOf(live.scope.session), 'DEVIATION_CANCEL', why);
      if (cancelled) return cancelled;
      continue;
    }
    if (deps.clock().getTime() >= current.expiresAt.getTime()) {
      const expired = await endDeviation(deps, live, current, 'timed_out', systemActor('proxy'), 'DEVIATION_TIMEOUT', `no approver decided by ${current.expiresAt.toISOString()}: denied`);
      if (expired) return expired;
      continue;
    }
    await pause(Math.min(pollMs, Math.max(1, current.expiresAt.getTime() - deps.clock().getTime())), cancel);
  }
}

/** Settles a pending request without an approver (timeout, cancel): null when something else settled it first. */
async function endDeviation(
  deps: ServiceDeps,
  live: LiveSession,
  request: DeviationRequest,
  status: 'timed_out' | 'cancelled',
  actor: Actor,
  eventType: string,
  why: string,
): Promise<DeviationRequest | null> {
  const ended: DeviationRequest = { ...request, status, decidedBy: actor.userId, decidedAt: deps.clock() };
  const change = (await deps.store.changes.findByCode(request.changeCode)) ?? live.change;
  const commit = await new CommitBuilder(deps, actor)
    .audit({
      status: status === 'cancelled' ? 'S' : 'D',
      eventType,
      class: 'COMMAND',
      object: request.device,
      change: request.changeCode,
      command: request.line,
      details: `deviation ${request.id} in session ${request.sessionId}`,
      reason: why,
    })
    .notify(deviationDecidedNotice(change, live.scope.session, ended))
    .build();
  const settled = await deps.store.deviations.settle(request.id, 'pending', { status, decidedBy: ended.decidedBy, decidedAt: ended.decidedAt }, commit);
  if (settled) committed(deps, commit);
  return settled;
}

function pause(ms: number, cancel: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    cancel.addEventListener('abort', done, { once: true });
  });
}
