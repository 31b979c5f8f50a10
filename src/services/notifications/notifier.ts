import type { Notification } from '../../domain/notifications/catalogue.js';

/**
 * Where notifications raised outside a use case's own write go (the proxy's alerts, the
 * scheduler's reminders): stored in the outbox, one row per destination, then delivered by
 * the Slack adapter. Use cases put their notifications in their commit instead, so they are
 * stored with the state they announce (see `commitBuilder.ts`).
 */
export interface Notifier {
  notify(notification: Notification): Promise<void>;
}
