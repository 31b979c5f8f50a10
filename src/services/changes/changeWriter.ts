import type { Change } from '../../domain/change/change.js';
import type { ChangePatch } from '../../store/changeRepository.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

const MAX_ATTEMPTS = 20;

export async function loadChange(deps: ServiceDeps, code: string): Promise<Change> {
  const change = await deps.store.changes.findByCode(code.trim().toUpperCase());
  if (!change) throw new ServiceError('not_found', `no change ${code.trim().toUpperCase()}`);
  return change;
}

/**
 * Read, decide, write-if-unchanged, and on a lost race read again and decide again. The
 * decision always sees the latest state, so two approvers clicking at once cannot both
 * complete a quorum, and a second click sees the first one's result.
 */
export async function writeChange<R>(
  deps: ServiceDeps,
  code: string,
  /** Returns the patch to apply, or a null patch when nothing needs writing. */
  decide: (current: Change) => Promise<{ patch: ChangePatch | null; result: R }> | { patch: ChangePatch | null; result: R },
): Promise<{ before: Change; after: Change; result: R }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const before = await loadChange(deps, code);
    const { patch, result } = await decide(before);
    if (patch === null) return { before, after: before, result };
    const after = await deps.store.changes.update(before.code, before.version, { ...patch, updatedAt: deps.clock() });
    if (after) return { before, after, result };
  }
  throw new ServiceError('conflict', `${code} is being changed by someone else right now; try again`);
}

/** Refusals of privileged actions are audited too (status D), then passed on. */
export async function auditRefusals<T>(
  deps: ServiceDeps,
  actor: Actor,
  what: { eventType: string; object: string; reason?: string },
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ServiceError && (error.kind === 'forbidden' || error.kind === 'conflict')) {
      await deps.audit.record(actor, {
        status: 'D',
        eventType: what.eventType,
        class: 'CHANGE',
        object: what.object,
        change: what.object,
        details: error.message,
        reason: what.reason,
      });
    }
    throw error;
  }
}
