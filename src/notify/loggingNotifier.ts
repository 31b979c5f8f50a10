import type { Logger } from '../logger.js';
import type { Notification, Notifier } from './notification.js';

/**
 * Writes notifications to the process log. Wired in main.ts until the Slack/outbox notifier
 * is in place, so alerts raised by the proxy are at least visible.
 */
export class LoggingNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async notify(notification: Notification): Promise<void> {
    this.logger.info(
      { notification: notification.type, audience: notification.audience, data: notification.data, dedupeKey: notification.dedupeKey },
      'notification',
    );
  }
}
