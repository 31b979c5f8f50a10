import type { SessionState } from '../domain/session/session.js';
import type { LiveSession } from '../services/sessions/liveSession.js';
import { endSession } from '../services/sessions/superviseSessions.js';
import { isStoreUnavailable } from '../store/storeErrors.js';
import type { ProxyContext } from './proxyContext.js';

/**
 * Records the end of a session. When the store is unreachable the session has still ended:
 * its end is raised at once (the notifier holds it until the store is back) and the record
 * is left to the proxy's watcher, which retries it every second with the time it really
 * ended, so the session does not stay "active" until the next restart.
 */
export async function recordSessionEnd(ctx: ProxyContext, live: LiveSession, state: Exclude<SessionState, 'active'>, reason: string): Promise<void> {
  const { session } = live.scope;
  const endedAt = ctx.deps.clock();
  const attempt = () => endSession(ctx.deps, ctx.alerts, live, state, reason, endedAt);
  try {
    await attempt();
  } catch (error) {
    ctx.logger.error({ err: error, session: session.id }, 'recording the end of a session failed');
    if (!isStoreUnavailable(error)) return;
    ctx.alerts.sessionEnded(live.change, { ...session, state, endedAt, endReason: reason }, reason);
    ctx.unsettledEnds.set(session.id, attempt);
  }
}
