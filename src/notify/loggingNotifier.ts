import type { Logger } from '../logger.js';
import type { Notification, Notifier } from './notification.js';

/**
 * Writes each notification to the log instead of delivering it: the stand-in wired in
 * main.ts until the Slack/outbox notifier is. Only what identifies a notification is
 * logged; rendered bodies (report blocks) would flood the log.
 */
export class LoggingNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async notify(notification: Notification): Promise<void> {
    this.logger.info(
      {
        notification: notification.type,
        audience: notification.audience,
        change: notification.data.change?.code,
        dedupeKey: notification.dedupeKey,
      },
      'notification',
    );
  }
}
