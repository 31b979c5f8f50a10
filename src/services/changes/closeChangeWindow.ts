import type { ChangeStatus } from '../../domain/change/changeStatus.js';
import { FINAL_STATUSES } from '../../domain/change/changeStatus.js';
import type { ScriptAudit } from '../../domain/scriptAudit/scriptAudit.js';
import { summariseChange, type Notifier } from '../../notify/notification.js';
import type { Change } from '../../domain/change/change.js';
import { SYSTEM_ACTOR, type Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { terminateSession } from '../sessions/sessionControl.js';
import { computeChangeAudit } from './changeAudit.js';
import { closeChange } from './changeWindow.js';
import { loadChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

export const WINDOW_CLOSED_REASON = 'the change window closed';

/** Statuses only a window close produces: a retried close still owes their summary. */
const CLOSED_BY_WINDOW: readonly ChangeStatus[] = ['completed', 'incomplete'];

/**
 * At the window's end: live sessions are cut (the proxy serving each sees it and closes it),
 * the change audit decides completed / incomplete (or expired when no session ran), and the
 * summary goes to the audit channel. The requester hears of the outcome from the
 * `change.closed` / `change.expired` event, in the thread of their copy of the request, as
 * for any other outcome. Safe to run twice: the second run finds the change closed and
 * repeats only the summary, which the notifier de-duplicates.
 */
export async function closeChangeWindow(deps: ServiceDeps, notifier: Notifier, code: string): Promise<TimedStepResult> {
  const current = await loadChange(deps, code);
  if (FINAL_STATUSES.includes(current.status) && !CLOSED_BY_WINDOW.includes(current.status)) {
    return skipped(`${current.code} is ${current.status}`);
  }
  if (deps.clock() < current.windowEnd) return skipped(`the window of ${current.code} ends at ${current.windowEnd.toISOString()}`);
  const ended = await endChangeNow(deps, notifier, current.code, SYSTEM_ACTOR, WINDOW_CLOSED_REASON);
  return ended.summarised ? DONE : skipped(`${ended.change.code} is ${ended.change.status}`);
}

/**
 * Ends a change now: cuts its live sessions (with `reason`), closes it (script audit,
 * completed / incomplete, or expired when nothing ran), and posts the close summary to the
 * audit channel. Used at the window's end and when the requester finishes early.
 */
export async function endChangeNow(
  deps: ServiceDeps,
  notifier: Notifier,
  code: string,
  actor: Actor,
  reason: string,
): Promise<{ change: Change; summarised: boolean }> {
  const active = (await deps.store.sessions.listByChange(code)).filter((s) => s.state === 'active');
  let terminated = 0;
  for (const session of active) {
    try {
      await terminateSession(deps, session.id, actor, reason);
      terminated++;
    } catch (error) {
      // Ended on its own meanwhile: nothing left to cut.
      if (!(error instanceof ServiceError && (error.kind === 'conflict' || error.kind === 'not_found'))) throw error;
    }
  }

  const closed = await closeChange(deps, code, actor);
  const change = closed.change;
  if (!closed.closedNow && !CLOSED_BY_WINDOW.includes(change.status)) return { change, summarised: false };
  const audit: ScriptAudit | null =
    closed.audit ?? (CLOSED_BY_WINDOW.includes(change.status) ? (await computeChangeAudit(deps, change.code)).audit : null);

  await notifier.notify({
    type: 'window.closed',
    audience: [{ role: 'audit' }],
    data: {
      change: summariseChange(change),
      details: {
        status: change.status,
        // Worded as the change's own thread replies word it.
        outcome: (audit?.outcome ?? change.status).replaceAll('_', ' '),
        planned: audit?.counts.planned ?? 0,
        executed: audit?.counts.executed ?? 0,
        missing: audit?.counts.missing ?? 0,
        partial: audit?.counts.partial ?? 0,
        extra: audit?.counts.extra ?? 0,
        blocked: audit?.counts.blocked ?? 0,
        terminatedSessions: terminated,
      },
    },
    dedupeKey: `window.closed:${change.code}`,
  });
  return { change, summarised: true };
}
