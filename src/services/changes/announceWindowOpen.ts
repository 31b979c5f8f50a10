import { windowOpenedAudience } from '../../domain/notifications/audiences.js';
import { summariseChange } from '../../domain/notifications/catalogue.js';
import type { Notifier } from '../notifications/notifier.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { loadChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

/** At the window's start: the requester and executors (and the group's channel) learn that sessions may start. */
export async function announceWindowOpen(deps: ServiceDeps, notifier: Notifier, code: string): Promise<TimedStepResult> {
  const change = await loadChange(deps, code);
  const now = deps.clock();
  if (change.status !== 'approved' && change.status !== 'in_progress') return skipped(`${change.code} is ${change.status}`);
  if (now < change.windowStart) return skipped(`the window of ${change.code} opens at ${change.windowStart.toISOString()}`);
  if (now >= change.windowEnd) return skipped(`the window of ${change.code} already ended`);
  const group = await deps.policies.group(change.group);
  await notifier.notify({
    type: 'window.opened',
    audience: windowOpenedAudience(change, group),
    data: { change: summariseChange(change) },
    dedupeKey: `window.opened:${change.code}:${change.windowStart.toISOString()}`,
  });
  return DONE;
}
