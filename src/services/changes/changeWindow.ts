import type { Change } from '../../domain/change/change.js';
import { FINAL_STATUSES } from '../../domain/change/changeStatus.js';
import { transition, type ChangeEvent } from '../../domain/change/lifecycle.js';
import type { ScriptAudit } from '../../domain/scriptAudit/scriptAudit.js';
import { SYSTEM_ACTOR, type Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { computeChangeAudit } from './changeAudit.js';
import { changeCommit, loadChange, writeChange } from './changeWriter.js';

/**
 * The first session of an approved change moves it to in progress (later ones find it
 * there); the move, its START record and the refreshed request copies are one write.
 */
export async function startChange(deps: ServiceDeps, code: string, actor: Actor): Promise<Change> {
  const current = await loadChange(deps, code);
  if (current.status === 'in_progress') return current;
  const { after, before } = await writeChange(
    deps,
    code,
    (latest) => {
      if (latest.status === 'in_progress') return { patch: null, result: null };
      const moved = transition(latest.status, 'start');
      if (!moved.ok) throw new ServiceError('conflict', moved.message);
      return { patch: { status: moved.to }, result: null };
    },
    (_before, after) => changeCommit(deps, actor, after, { status: 'S', eventType: 'START', class: 'CHANGE', object: after.code, change: after.code }, { kind: 'started' }),
  );
  if (before.status !== after.status) await deps.events.publish({ type: 'change.started', change: after });
  return after;
}

export interface CloseResult {
  readonly change: Change;
  readonly audit: ScriptAudit | null;
  /** False when an earlier run (or another process) had already closed it. */
  readonly closedNow: boolean;
}

/**
 * At the window's end (or when the requester finishes early): a change that ran gets its
 * script audit and becomes completed or incomplete; one that never ran (or was never
 * approved) expires. The status, its record, the thread replies and the summary to the audit
 * channel are one write. Safe to run twice.
 */
export async function closeChange(deps: ServiceDeps, code: string, actor: Actor = SYSTEM_ACTOR, options: { terminatedSessions?: number } = {}): Promise<CloseResult> {
  const current = await loadChange(deps, code);
  if (FINAL_STATUSES.includes(current.status)) return { change: current, audit: null, closedNow: false };
  await authorise(deps, actor, 'change.close', { change: current, group: await deps.policies.group(current.group) }, { eventType: 'COMPLETE', class: 'CHANGE', object: current.code, change: current.code });
  const report = current.status === 'in_progress' ? await computeChangeAudit(deps, code) : null;
  const { before, after } = await writeChange(
    deps,
    code,
    (latest) => {
      if (FINAL_STATUSES.includes(latest.status)) return { patch: null, result: null };
      const event: ChangeEvent =
        latest.status !== 'in_progress' ? 'expire' : report?.audit.counts.missing || report?.audit.counts.partial ? 'markIncomplete' : 'complete';
      const moved = transition(latest.status, event);
      if (!moved.ok) throw new ServiceError('conflict', moved.message);
      return { patch: { status: moved.to, ...(report && { outcome: report.audit.outcome }) }, result: null };
    },
    (before, after) =>
      changeCommit(
        deps,
        actor,
        after,
        {
          status: 'S',
          eventType: after.status === 'expired' ? 'EXPIRE' : 'COMPLETE',
          class: 'CHANGE',
          object: after.code,
          change: after.code,
          details: report ? `outcome ${report.audit.outcome}` : `window ended while ${before.status.replace('_', ' ')}`,
        },
        { kind: 'closed', audit: report?.audit ?? null, terminatedSessions: options.terminatedSessions ?? 0, previousStatus: before.status },
      ),
  );
  if (FINAL_STATUSES.includes(before.status)) return { change: after, audit: null, closedNow: false };
  if (after.status === 'expired') await deps.events.publish({ type: 'change.expired', change: after });
  else if (report) await deps.events.publish({ type: 'change.closed', change: after, audit: report.audit });
  return { change: after, audit: report?.audit ?? null, closedNow: true };
}

/** A request still pending when its window opens can no longer be approved in time. */
export async function expirePendingChange(deps: ServiceDeps, code: string, actor: Actor = SYSTEM_ACTOR): Promise<Change | null> {
  const current = await loadChange(deps, code);
  if (current.status !== 'pending_approval') return null;
  const { before, after } = await writeChange(
    deps,
    code,
    (latest) => {
      if (latest.status !== 'pending_approval') return { patch: null, result: null };
      const moved = transition(latest.status, 'expire');
      if (!moved.ok) throw new ServiceError('conflict', moved.message);
      return { patch: { status: moved.to }, result: null };
    },
    (before, after) =>
      changeCommit(
        deps,
        actor,
        after,
        { status: 'S', eventType: 'EXPIRE', class: 'CHANGE', object: after.code, change: after.code, details: 'not approved before the window opened' },
        { kind: 'expired', previousStatus: before.status },
      ),
  );
  if (before.status !== 'pending_approval') return null;
  await deps.events.publish({ type: 'change.expired', change: after });
  return after;
}
