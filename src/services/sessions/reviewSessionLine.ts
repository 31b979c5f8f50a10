import { deviationStatusWords, type DeviationRequest } from '../../domain/deviation/deviationRequest.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { awaitDeviationDecision } from '../deviations/awaitDeviation.js';
import { requestDeviation } from '../deviations/requestDeviation.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { ReviewNeeded } from './judgeCommand.js';
import { afterJudgement, STORE_OUTAGE_MESSAGE, type SessionJudgement } from './judgeSessionLine.js';
import type { LiveSession } from './liveSession.js';
import type { SessionAlerts } from './sessionAlerts.js';
import { storeCommandRecord } from './storeCommandRecord.js';

export interface ReviewOptions {
  /** How long approvers have (DEVIATION_TIMEOUT_MINUTES). */
  readonly timeoutMs: number;
  /** Aborted by the user's Ctrl-C: the request is cancelled. */
  readonly cancel: AbortSignal;
  /** Told once the request is stored (the prompt says it is waiting). */
  readonly onWaiting?: ((request: DeviationRequest) => void) | undefined;
  readonly pollMs?: number | undefined;
}

/**
 * A line the prompt holds for an approver: asks (requestDeviation), waits for the decision,
 * then stores the command as judged at last: allowed (it runs, once) or blocked (denied, timed
 * out, cancelled: nothing reaches the device). The record keeps the id the request named, so
 * the change audit shows it as an approved deviation.
 */
export async function reviewSessionLine(deps: ServiceDeps, alerts: SessionAlerts, live: LiveSession, review: ReviewNeeded, options: ReviewOptions): Promise<SessionJudgement> {
  let request: DeviationRequest;
  try {
    request = await requestDeviation(deps, live, review, options.timeoutMs);
  } catch {
    const record: CommandRecord = { ...review.record, verdict: 'block', reason: 'store unreachable: the deviation request could not be stored' };
    return { verdict: 'block', evaluation: review.evaluation, record, lockedBy: undefined, message: STORE_OUTAGE_MESSAGE, stored: false };
  }
  options.onWaiting?.(request);
  const settled = await awaitDeviationDecision(deps, live, request, options.cancel, options.pollMs);
  const allowed = settled.status === 'allowed';
  const reason = allowed
    ? `approved deviation: allowed once by ${settled.decidedBy ?? 'an approver'}`
    : settled.status === 'denied'
      ? `deviation denied by ${settled.decidedBy ?? 'an approver'}: it was not run`
      : settled.status === 'timed_out'
        ? `no approver decided in time (deviation ${deviationStatusWords(settled.status)}): it was not run`
        : 'deviation request cancelled: it was not run';
  const record: CommandRecord = { ...review.record, at: deps.clock(), verdict: allowed ? 'allow' : 'block', reason };
  await storeCommandRecord(deps, live.scope.session, record, `${record.verdict} after deviation ${settled.id} (${deviationStatusWords(settled.status)}) by ${review.reviewRuleIds.join(', ')}`);
  const judgement = { verdict: record.verdict, evaluation: review.evaluation, record, lockedBy: undefined, message: allowed ? undefined : reason };
  afterJudgement(alerts, live, judgement);
  return { ...judgement, stored: true };
}
