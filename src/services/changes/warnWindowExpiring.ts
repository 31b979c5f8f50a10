import { workers } from '../../domain/notifications/audiences.js';
import { summariseChange } from '../../domain/notifications/catalogue.js';
import type { Notifier } from '../notifications/notifier.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { loadChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

/**
 * Shortly before the window's end, while sessions are still open: the requester is warned
 * that they will be cut, so work can be wrapped up rather than interrupted.
 */
export async function warnWindowExpiring(deps: ServiceDeps, notifier: Notifier, code: string, options: { leadMs: number }): Promise<TimedStepResult> {
  const change = await loadChange(deps, code);
  const now = deps.clock();
  if (change.status !== 'approved' && change.status !== 'in_progress') return skipped(`${change.code} is ${change.status}`);
  if (now.getTime() < change.windowEnd.getTime() - options.leadMs) return skipped(`too early to warn about the end of ${change.code}`);
  if (now >= change.windowEnd) return skipped(`the window of ${change.code} already ended`);
  const active = (await deps.store.sessions.listByChange(change.code)).filter((s) => s.state === 'active');
  if (active.length === 0) return skipped(`${change.code} has no open session`);
  await notifier.notify({
    type: 'window.expiring',
    audience: workers(change),
    data: {
      change: summariseChange(change),
      details: {
        minutesLeft: Math.max(1, Math.ceil((change.windowEnd.getTime() - now.getTime()) / 60_000)),
        activeSessions: active.length,
      },
    },
    dedupeKey: `window.expiring:${change.code}:${change.windowEnd.toISOString()}`,
  });
  return DONE;
}
