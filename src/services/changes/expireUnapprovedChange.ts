import { approvalDeadline } from '../../domain/change/changeTimeline.js';
import { summariseChange, type Notifier } from '../../notify/notification.js';
import { SYSTEM_ACTOR } from '../actor.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { expirePendingChange } from './changeWindow.js';
import { loadChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

/** At the approval deadline: a request nobody approved in time expires and its requester is told. */
export async function expireUnapprovedChange(deps: ServiceDeps, notifier: Notifier, code: string): Promise<TimedStepResult> {
  const change = await loadChange(deps, code);
  if (change.status !== 'pending_approval') return skipped(`${change.code} is ${change.status}`);
  const deadline = approvalDeadline(change);
  if (deps.clock() < deadline) return skipped(`${change.code} may be approved until ${deadline.toISOString()}`);
  const expired = await expirePendingChange(deps, change.code, SYSTEM_ACTOR);
  if (!expired) return skipped(`${change.code} was decided meanwhile`);
  await notifier.notify({
    type: 'access.request_expired',
    audience: [{ user: expired.requester }],
    data: { change: summariseChange(expired), details: { previousStatus: 'pending_approval' } },
    dedupeKey: `access.request_expired:${expired.code}`,
  });
  return DONE;
}
