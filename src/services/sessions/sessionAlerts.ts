import type { Change } from '../../domain/change/change.js';
import type { SessionRiskAssessment } from '../../domain/session/sessionRisk.js';
import type { Session } from '../../domain/session/session.js';
import { summariseChange, type Audience, type Notification, type NotificationData, type Notifier } from '../../notify/notification.js';
import type { Judgement } from './judgeCommand.js';

const SECURITY: Audience = { role: 'security' };
const CRITICALITY = { high: 'command.high_criticality', medium: 'command.medium_criticality', low: 'command.low_criticality' } as const;

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

  sessionStarted(change: Change, session: Session): void {
    this.raise({
      type: 'session.started',
      audience: [SECURITY],
      data: { change: summariseChange(change), session: sessionData(session) },
      dedupeKey: `session.started:${session.id}`,
    });
  }

  sessionEnded(change: Change, session: Session, reason: string): void {
    this.raise({
      type: 'session.terminated',
      audience: [SECURITY],
      data: { change: summariseChange(change), session: sessionData(session), reason, details: { state: session.state } },
      dedupeKey: `session.terminated:${session.id}`,
    });
  }

  /** Allow (audited commands), block, block-and-interrupt, the rule's criticality and account lock, as the judgement calls for. */
  commandJudged(change: Change, session: Session, judgement: Judgement): void {
    const { record } = judgement;
    const data: NotificationData = {
      change: summariseChange(change),
      session: sessionData(session),
      command: { line: record.line, verdict: record.verdict, rules: record.ruleIds, risk: record.risk, reason: judgement.message },
    };
    if (record.verdict === 'block') {
      this.raise({ type: 'command.block', audience: [SECURITY], data, dedupeKey: `command.block:${record.id}` });
    } else if (record.verdict === 'interrupt') {
      this.raise({ type: 'command.block_interrupt', audience: [SECURITY], data, dedupeKey: `command.block_interrupt:${record.id}` });
    }
    const auditedBy = record.ruleIds.filter((id) => !id.startsWith('('));
    if (record.verdict === 'allow' && auditedBy.length > 0) {
      // An audited command ran: a rule names it (allow rules exist to watch commands, not to stop them).
      this.raise({ type: 'command.allow', audience: [SECURITY], data, dedupeKey: `command.allow:${record.id}` });
    }
    const criticality = record.risk === null ? undefined : CRITICALITY[record.risk];
    if (criticality) this.raise({ type: criticality, audience: [SECURITY], data, dedupeKey: `${criticality}:${record.id}` });
    if (judgement.lockedBy !== undefined) {
      this.raise({
        type: 'session.account_locked',
        audience: [SECURITY, { user: session.user }],
        data: { ...data, reason: `rule ${judgement.lockedBy} reached its lock-after count` },
        dedupeKey: `session.account_locked:${record.id}`,
      });
    }
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

function sessionData(session: Session): NonNullable<NotificationData['session']> {
  return {
    id: session.id,
    user: session.user,
    device: session.device,
    clientAddress: session.clientAddress,
    justification: session.justification === '' ? undefined : session.justification,
  };
}
