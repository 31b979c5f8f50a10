import type { Change } from '../../domain/change/change.js';
import { FINAL_STATUSES } from '../../domain/change/changeStatus.js';
import { transition, type ChangeEvent } from '../../domain/change/lifecycle.js';
import type { ScriptAudit } from '../../domain/scriptAudit/scriptAudit.js';
import { SYSTEM_ACTOR, type Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { computeChangeAudit } from './changeAudit.js';
import { loadChange, writeChange } from './changeWriter.js';

/** The first session of an approved change moves it to in progress (later ones find it there). */
export async function startChange(deps: ServiceDeps, code: string, actor: Actor): Promise<Change> {
  const current = await loadChange(deps, code);
  if (current.status === 'in_progress') return current;
  const { after, before } = await writeChange(deps, code, (latest) => {
    if (latest.status === 'in_progress') return { patch: null, result: null };
    const moved = transition(latest.status, 'start');
    if (!moved.ok) throw new ServiceError('conflict', moved.message);
    return { patch: { status: moved.to }, result: null };
  });
  if (before.status !== after.status) {
    await deps.audit.record(actor, { status: 'S', eventType: 'START', class: 'CHANGE', object: after.code, change: after.code });
    await deps.events.publish({ type: 'change.started', change: after });
  }
  return after;
}

export interface CloseResult {
  readonly change: Change;
  readonly audit: ScriptAudit | null;
  /** False when an earlier run (or another process) had already closed it. */
  readonly closedNow: boolean;
}

/**
 * At the window's end: a change that ran gets its script audit and becomes completed or
 * incomplete; one that never ran (or was never approved) expires. Safe to run twice.
 */
export async function closeChange(deps: ServiceDeps, code: string, actor: Actor = SYSTEM_ACTOR): Promise<CloseResult> {
  const current = await loadChange(deps, code);
  if (FINAL_STATUSES.includes(current.status)) return { change: current, audit: null, closedNow: false };
  const report = current.status === 'in_progress' ? await computeChangeAudit(deps, code) : null;
  const { before, after } = await writeChange(deps, code, (latest) => {
    if (FINAL_STATUSES.includes(latest.status)) return { patch: null, result: null };
    const event: ChangeEvent =
      latest.status !== 'in_progress' ? 'expire' : report?.audit.counts.missing || report?.audit.counts.partial ? 'markIncomplete' : 'complete';
    const moved = transition(latest.status, event);
    if (!moved.ok) throw new ServiceError('conflict', moved.message);
    return { patch: { status: moved.to, ...(report && { outcome: report.audit.outcome }) }, result: null };
  });
  if (FINAL_STATUSES.includes(before.status)) return { change: after, audit: null, closedNow: false };
  await deps.audit.record(actor, {
    status: 'S',
    eventType: after.status === 'expired' ? 'EXPIRE' : 'COMPLETE',
    class: 'CHANGE',
    object: after.code,
    change: after.code,
    details: report ? `outcome ${report.audit.outcome}` : `window ended while ${before.status.replace('_', ' ')}`,
  });
  if (after.status === 'expired') await deps.events.publish({ type: 'change.expired', change: after });
  else if (report) await deps.events.publish({ type: 'change.closed', change: after, audit: report.audit });
  return { change: after, audit: report?.audit ?? null, closedNow: true };
}

/** A request still pending when its window opens can no longer be approved in time. */
export async function expirePendingChange(deps: ServiceDeps, code: string, actor: Actor = SYSTEM_ACTOR): Promise<Change | null> {
  const current = await loadChange(deps, code);
  if (current.status !== 'pending_approval') return null;
  const { before, after } = await writeChange(deps, code, (latest) => {
    if (latest.status !== 'pending_approval') return { patch: null, result: null };
    const moved = transition(latest.status, 'expire');
    if (!moved.ok) throw new ServiceError('conflict', moved.message);
    return { patch: { status: moved.to }, result: null };
  });
  if (before.status !== 'pending_approval') return null;
  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'EXPIRE',
    class: 'CHANGE',
    object: after.code,
    change: after.code,
    details: 'not approved before the window opened',
  });
  await deps.events.publish({ type: 'change.expired', change: after });
  return after;
}
