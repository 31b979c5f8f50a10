import { randomUUID } from 'node:crypto';
import type { DeviationRequest } from '../../domain/deviation/deviationRequest.js';
import { deviationRequestedNotice } from '../../domain/notifications/deviationNotices.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { ReviewNeeded } from '../sessions/judgeCommand.js';
import type { LiveSession } from '../sessions/liveSession.js';
import { actorOf } from '../sessions/openSession.js';

/** How long a request waits for a decision when the configuration does not say (DEVIATION_TIMEOUT_MINUTES). */
export const DEFAULT_DEVIATION_TIMEOUT_MS = 5 * 60_000;

/**
 * Asks the change's approvers to let one command run that is not in the approved script: the
 * request, its DEVIATION_REQUEST record and the reply in the change's Slack thread (with Allow
 * once / Deny) are one write. The web shows it on the change's page from the store.
 */
export async function requestDeviation(deps: ServiceDeps, live: LiveSession, review: ReviewNeeded, timeoutMs: number = DEFAULT_DEVIATION_TIMEOUT_MS): Promise<DeviationRequest> {
  const { session } = live.scope;
  const now = deps.clock();
  const request: DeviationRequest = {
    id: randomUUID(),
    changeCode: session.changeCode,
    sessionId: session.id,
    requester: session.user,
    device: session.device,
    line: review.record.line,
    ruleIds: review.reviewRuleIds,
    commandId: review.record.id,
    requestedAt: now,
    expiresAt: new Date(now.getTime() + timeoutMs),
    status: 'pending',
  };
  const change = (await deps.store.changes.findByCode(session.changeCode)) ?? live.change;
  const commit = await new CommitBuilder(deps, actorOf(session))
    .audit({
      status: 'S',
      eventType: 'DEVIATION_REQUEST',
      class: 'COMMAND',
      object: session.device,
      change: session.changeCode,
      command: request.line,
      details: `deviation ${request.id} in session ${session.id}: not in the approved script, review by ${request.ruleIds.join(', ')}; denied if undecided by ${request.expiresAt.toISOString()}`,
    })
    .notify(deviationRequestedNotice(change, session, request))
    .build();
  await deps.store.deviations.create(request, commit);
  committed(deps, commit);
  return request;
}
