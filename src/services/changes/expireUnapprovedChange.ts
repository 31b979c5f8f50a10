import { approvalDeadline } from '../../domain/change/changeTimeline.js';
import { SYSTEM_ACTOR } from '../actor.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { expirePendingChange } from './changeWindow.js';
import { loadChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

/**
 * At the approval deadline: a request nobody approved in time expires. The requester (and
 * every posted copy of the request) hear of it from the `change.expired` event, as for any
 * other outcome of a change.
 */
export async function expireUnapprovedChange(deps: ServiceDeps, code: string): Promise<TimedStepResult> {
  const change = await loadChange(deps, code);
  if (change.status !== 'pending_approval') return skipped(`${change.code} is ${change.status}`);
  const deadline = approvalDeadline(change);
  if (deps.clock() < deadline) return skipped(`${change.code} may be approved until ${deadline.toISOString()}`);
  const expired = await expirePendingChange(deps, change.code, SYSTEM_ACTOR);
  return expired ? DONE : skipped(`${change.code} was decided meanwhile`);
}
