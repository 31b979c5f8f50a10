import type { OutboxMessage } from '../../store/outboxRepository.js';
import { NOTIFICATION_LABELS } from '../../domain/notifications/notificationLabels.js';
import type { NotificationData, NotificationType } from '../../domain/notifications/catalogue.js';

/**
 * The plain-text form of a notification for one audience, kept on its outbox row for the web
 * page and the log. The Slack adapter supplies the templates' wording (`notify/`); without it
 * (a bare CLI, a unit test) the catalogue's label and the subject are used.
 */
export interface NotificationText {
  plainText(type: NotificationType, data: NotificationData, audience: string): Promise<string>;
}

export const LABEL_TEXT: NotificationText = {
  async plainText(type, data) {
    const subject = [data.change?.code, data.change?.title, data.command?.line, data.reason].filter((v): v is string => typeof v === 'string' && v !== '');
    return `${NOTIFICATION_LABELS[type]}${subject.length ? `: ${subject.join(' - ')}` : ''}`;
  },
};

/**
 * How stored notifications leave: the wording of their text, whether Slack takes them (rows
 * are kept `not_sent` otherwise), and who hears of rows once stored (the delivery worker
 * wakes; rows not sent are logged). Set once at start by the composition root, after the
 * Slack adapter is built.
 */
export class OutboxSettings {
  text: NotificationText = LABEL_TEXT;
  slackEnabled = false;
  onStored: (rows: readonly OutboxMessage[]) => void = () => undefined;

  use(settings: { text?: NotificationText; slackEnabled?: boolean; onStored?: (rows: readonly OutboxMessage[]) => void }): void {
    if (settings.text) this.text = settings.text;
    if (settings.slackEnabled !== undefined) this.slackEnabled = settings.slackEnabled;
    if (settings.onStored) this.onStored = settings.onStored;
  }
}

export const SLACK_NOT_CONFIGURED = 'Slack not configured';
