import type { Change } from '../../domain/change/change.js';
import { FINAL_STATUSES } from '../../domain/change/changeStatus.js';
import { SYSTEM_ACTOR, type Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { terminateSession } from '../sessions/sessionControl.js';
import { closeChange } from './changeWindow.js';
import { loadChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

export const WINDOW_CLOSED_REASON = 'the change window closed';

/**
 * At the window's end: live sessions are cut and the change closed (`endChangeNow`). Safe to
 * run twice: the second run finds the change closed and does nothing.
 */
export async function closeChangeWindow(deps: ServiceDeps, code: string): Promise<TimedStepResult> {
  const current = await loadChange(deps, code);
  if (FINAL_STATUSES.includes(current.status)) return skipped(`${current.code} is ${current.status}`);
  if (deps.clock() < current.windowEnd) return skipped(`the window of ${current.code} ends at ${current.windowEnd.toISOString()}`);
  const ended = await endChangeNow(deps, current.code, SYSTEM_ACTOR, WINDOW_CLOSED_REASON);
  return ended.closedNow ? DONE : skipped(`${ended.change.code} is ${ended.change.status}`);
}

/**
 * Ends a change now: cuts its live sessions (with `reason`; the proxy serving each sees it and
 * closes it), then closes it: the change audit decides completed / incomplete (or expired when
 * nothing ran), and the summary to the audit channel and the replies in the request's threads
 * are written with the new status, in one write (`closeChange`). Used at the window's end and
 * when the requester finishes early.
 */
export async function endChangeNow(deps: ServiceDeps, code: string, actor: Actor, reason: string): Promise<{ change: Change; closedNow: boolean }> {
  const active = (await deps.store.sessions.listByChange(code)).filter((s) => s.state === 'active');
  let terminated = 0;
  for (const session of active) {
    try {
      // Cut by changeguard on the closer's behalf: the requester finishing early may not terminate sessions themselves.
      await terminateSession(deps, session.id, actor.kind === 'system' ? actor : { ...SYSTEM_ACTOR, terminal: actor.terminal }, reason);
      terminated++;
    } catch (error) {
      // Ended on its own meanwhile: nothing left to cut.
      if (!(error instanceof ServiceError && (error.kind === 'conflict' || error.kind === 'not_found'))) throw error;
    }
  }
  const closed = await closeChange(deps, code, actor, { terminatedSessions: terminated });
  return { change: closed.change, closedNow: closed.closedNow };
}
