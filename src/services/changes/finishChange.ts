import type { Change } from '../../domain/change/change.js';
import type { Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { auditRefusals, loadChange } from './changeWriter.js';
import { endChangeNow } from './closeChangeWindow.js';

export const FINISHED_EARLY_REASON = 'the requester finished the change before its window ended';

/**
 * "Finish now": the requester says the work is done before the window ends. The change closes
 * as it would at the window's end (live sessions cut, script audit, completed or incomplete,
 * summary to the audit channel), so nobody can open another session on it meanwhile.
 */
export async function finishChange(deps: ServiceDeps, code: string, actor: Actor): Promise<Change> {
  return auditRefusals(deps, actor, { eventType: 'COMPLETE', object: code.trim().toUpperCase() }, async () => {
    const current = await loadChange(deps, code);
    await authorise(deps, actor, 'change.close', { change: current, group: await deps.policies.group(current.group) }, { eventType: 'COMPLETE', class: 'CHANGE', object: current.code, change: current.code });
    if (current.status === 'approved') {
      throw new ServiceError('conflict', `nothing has run on ${current.code} yet: cancel it instead of finishing it`);
    }
    if (current.status !== 'in_progress') {
      throw new ServiceError('conflict', `cannot finish a change that is ${current.status.replace('_', ' ')}`);
    }
    const { change } = await endChangeNow(deps, current.code, actor, FINISHED_EARLY_REASON);
    return change;
  });
}
