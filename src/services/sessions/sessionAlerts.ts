import type { Change } from '../../domain/change/change.js';
import type { SessionRiskAssessment } from '../../domain/session/sessionRisk.js';
import type { Session } from '../../domain/session/session.js';
import { summariseChange, type Notification, type NotificationData } from '../../domain/notifications/catalogue.js';
import { SECURITY } from '../../domain/notifications/audiences.js';
import { commandAlertType } from '../../domain/notifications/commandAlert.js';
import type { Notifier } from '../notifications/notifier.js';
import type { Judgement } from './judgeCommand.js';

/**
 * Raises the Remote Session and Command Audit notifications. Delivery never holds up a
 * session: a slow or failing notifier is reported through `onError`, not awaited by callers.
 */
export class SessionAlerts {
  constructor(
    private readonly notifier: Notifier,
    private readonly onError: (error: unknown, notification: Notification) => void = () => undefined,
  ) {}

  raise(notification: Notification): void {
    let delivery: Promise<void>;
    try {
      delivery = this.notifier.notify(notification);
    } catch (error) {
      this.onError(error, notification);
      return;
    }
    delivery.catch((error: unknown) => this.onError(error, notification));
  }

  /** Raised at once when the store cannot take the end yet (the end's own write repeats it, once). */
  sessionEnded(change: Change, session: Session, reason: string): void {
    this.raise(sessionEndedNotice(change, session, reason));
  }

  /**
   * One post per audited command (`commandAlertType`: stopped, or its criticality, or audited).
   * A lock the command tipped is announced by the lock itself (`lockUser`), with its buttons.
   */
  commandJudged(change: Change, session: Session, judgement: Judgement): void {
    const { record } = judgement;
    const type = commandAlertType(record.verdict, record.ruleIds, record.risk);
    if (!type) return;
    const data: NotificationData = {
      change: summariseChange(change),
      session: sessionData(session),
      command: { line: record.line, verdict: record.verdict, rules: record.ruleIds, risk: record.risk, reason: judgement.message },
    };
    this.raise({ type, audience: [SECURITY], data, dedupeKey: `command:${record.id}` });
  }

  highRisk(change: Change, session: Session, assessment: SessionRiskAssessment): void {
    this.raise({
      type: 'session.high_risk',
      audience: [SECURITY],
      data: { change: summariseChange(change), session: sessionData(session), reason: assessment.reasons.join('; ') },
      dedupeKey: `session.high_risk:${session.id}`,
    });
  }

  hostKeyMismatch(change: Change, attempt: { user: string; device: string; clientAddress: string }, details: { expected: string; presented: string }): void {
    this.raise({
      type: 'session.host_key_mismatch',
      audience: [SECURITY],
      data: {
        change: summariseChange(change),
        actor: attempt.user,
        reason: `${attempt.device} presented a host key that does not match the pinned one`,
        details: { device: attempt.device, clientAddress: attempt.clientAddress, expected: details.expected, presented: details.presented },
      },
    });
  }
}

export function sessionData(session: Session): NonNullable<NotificationData['session']> {
  return {
    id: session.id,
    user: session.user,
    device: session.device,
    clientAddress: session.clientAddress,
    justification: session.justification === '' ? undefined : session.justification,
  };
}

/** A session ended (closed, interrupted, terminated, lost): the security channel is told, once. */
export function sessionEndedNotice(change: Change, session: Session, reason: string): Notification {
  return {
    type: 'session.terminated',
    audience: [SECURITY],
    data: { change: summariseChange(change), session: sessionData(session), reason, details: { state: session.state } },
    dedupeKey: `session.terminated:${session.id}`,
  };
}
