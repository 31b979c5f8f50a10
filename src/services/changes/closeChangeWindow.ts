import { FINAL_STATUSES } from '../../domain/change/changeStatus.js';
import { SYSTEM_ACTOR } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { terminateSession } from '../sessions/sessionControl.js';
import { closeChange } from './changeWindow.js';
import { loadChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

export const WINDOW_CLOSED_REASON = 'the change window closed';

/**
 * At the window's end: live sessions are cut (the proxy serving each sees it and closes it),
 * then the change is closed: the change audit decides completed / incomplete (or expired when
 * no session ran), and its summary to the audit channel and the replies in the request's
 * threads are written with the new status, in one write. Safe to run twice: the second run
 * finds the change closed and does nothing.
 */
export async function closeChangeWindow(deps: ServiceDeps, code: string): Promise<TimedStepResult> {
  const current = await loadChange(deps, code);
  if (FINAL_STATUSES.includes(current.status)) return skipped(`${current.code} is ${current.status}`);
  if (deps.clock() < current.windowEnd) return skipped(`the window of ${current.code} ends at ${current.windowEnd.toISOString()}`);

  const active = (await deps.store.sessions.listByChange(current.code)).filter((s) => s.state === 'active');
  let terminated = 0;
  for (const session of active) {
    try {
      await terminateSession(deps, session.id, SYSTEM_ACTOR, WINDOW_CLOSED_REASON);
      terminated++;
    } catch (error) {
      // Ended on its own meanwhile: nothing left to cut.
      if (!(error instanceof ServiceError && (error.kind === 'conflict' || error.kind === 'not_found'))) throw error;
    }
  }

  const closed = await closeChange(deps, current.code, SYSTEM_ACTOR, { terminatedSessions: terminated });
  if (!closed.closedNow) return skipped(`${closed.change.code} is ${closed.change.status}`);
  return DONE;
}
