import { checkDeviationDecision, deviationStatusWords, type DeviationDecision, type DeviationRequest } from '../../domain/deviation/deviationRequest.js';
import { deviationDecidedNotice } from '../../domain/notifications/deviationNotices.js';
import type { Actor } from '../actor.js';
import { authoriseUser } from '../access/authorise.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

const EVENT: Record<DeviationDecision, string> = { allow: 'DEVIATION_ALLOW', deny: 'DEVIATION_DENY' };

/**
 * An approver allows a waiting command once, or denies it (Slack's buttons, the web's). Who may:
 * the approvers of the change, never its requester or executors (the authorisation table's
 * `change.approve`, as for the change itself), and never the user who typed the command. The
 * decision, its record and the thread reply are one conditional write: a second click, the
 * timeout or the user's Ctrl-C that came first leave it as they settled it. The proxy session
 * waiting on it reads the store and runs or refuses the command.
 */
export async function decideDeviation(
  deps: ServiceDeps,
  id: string,
  actor: Actor,
  decision: DeviationDecision,
  /** The change the deciding page showed it under (the web): a request of another change is not found. */
  shownUnder?: string,
): Promise<DeviationRequest> {
  const request = await deps.store.deviations.findById(id);
  if (!request || (shownUnder !== undefined && request.changeCode !== shownUnder)) throw new ServiceError('not_found', `no deviation request ${id}${shownUnder === undefined ? '' : ` for ${shownUnder}`}`);
  const change = await deps.store.changes.findByCode(request.changeCode);
  if (!change) throw new ServiceError('not_found', `no change ${request.changeCode}`);
  const attempt = { eventType: EVENT[decision], class: 'COMMAND', object: request.device, change: request.changeCode, reason: `deviation ${request.id}: ${request.line}` };
  const group = await deps.policies.group(change.group);
  const user = await authoriseUser(deps, actor, 'change.approve', { change, group }, attempt);
  const check = checkDeviationDecision(request, user.id, decision, deps.clock());
  if (!check.ok) {
    await deps.audit.record(actor, { status: 'D', ...attempt, details: `refused: ${check.message}` });
    const refusal = new ServiceError(check.refusal === 'self_decision' ? 'forbidden' : 'conflict', check.message);
    refusal.audited = true;
    throw refusal;
  }
  const decided: DeviationRequest = { ...request, status: check.status, decidedBy: user.id, decidedAt: deps.clock() };
  const session = await deps.store.sessions.findById(request.sessionId);
  const builder = new CommitBuilder(deps, actor).audit({
    status: 'S',
    eventType: EVENT[decision],
    class: 'COMMAND',
    object: request.device,
    change: request.changeCode,
    command: request.line,
    details: `deviation ${request.id} of ${request.requester} in session ${request.sessionId} ${deviationStatusWords(check.status)}${decision === 'allow' ? ' once' : ''}`,
  });
  if (session) builder.notify(deviationDecidedNotice(change, session, decided));
  const commit = await builder.build();
  const settled = await deps.store.deviations.settle(id, 'pending', { status: decided.status, decidedBy: decided.decidedBy, decidedAt: decided.decidedAt }, commit);
  if (!settled) {
    const now = await deps.store.deviations.findById(id);
    const message = `the request to run "${request.line}" was ${deviationStatusWords(now?.status ?? 'cancelled')} already`;
    await deps.audit.record(actor, { status: 'D', ...attempt, details: `refused: ${message}` });
    const refusal = new ServiceError('conflict', message);
    refusal.audited = true;
    throw refusal;
  }
  committed(deps, commit);
  return settled;
}
