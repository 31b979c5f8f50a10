import type { Change } from '../change/change.js';
import { deviationStatusWords, type DeviationRequest } from '../deviation/deviationRequest.js';
import type { Session } from '../session/session.js';
import { requestCopies } from './audiences.js';
import { summariseChange, type Notification, type NotificationData } from './catalogue.js';

function deviationData(change: Change, session: Pick<Session, 'id' | 'user' | 'device' | 'clientAddress'>, request: DeviationRequest): NotificationData {
  return {
    change: summariseChange(change),
    session: { id: session.id, user: session.user, device: session.device, clientAddress: session.clientAddress },
    command: { line: request.line, verdict: 'allow', rules: request.ruleIds, risk: null },
    details: {
      deviation: request.id,
      status: request.status,
      statusWords: deviationStatusWords(request.status),
      expiresAt: request.expiresAt.toISOString(),
    },
  };
}

/**
 * A command waits for an approver: posted under every copy of the change request (its Slack
 * thread), with Allow once / Deny. The change's card is refreshed as for any change step.
 */
export function deviationRequestedNotice(change: Change, session: Pick<Session, 'id' | 'user' | 'device' | 'clientAddress'>, request: DeviationRequest): Notification {
  return { type: 'deviation.requested', audience: requestCopies(change), data: deviationData(change, session, request), dedupeKey: `deviation:${request.id}:requested` };
}

/** How the request ended (allowed, denied, timed out, cancelled), in the same thread. */
export function deviationDecidedNotice(change: Change, session: Pick<Session, 'id' | 'user' | 'device' | 'clientAddress'>, request: DeviationRequest): Notification {
  return {
    type: 'deviation.decided',
    audience: requestCopies(change),
    data: { ...deviationData(change, session, request), actor: request.decidedBy === 'system' ? undefined : request.decidedBy },
    dedupeKey: `deviation:${request.id}:${request.status}`,
  };
}
