import { parseAudienceKey } from '../../src/domain/notifications/audienceKey.js';
import type { Audience, Notification, NotificationData, NotificationType } from '../../src/domain/notifications/catalogue.js';
import type { OutboxMessage } from '../../src/store/outboxRepository.js';
import type { Store } from '../../src/store/store.js';

/**
 * The notifications the outbox holds, oldest first, each rebuilt from its rows (one per
 * destination): rows raised together share the key before `|` and the type. Use cases store
 * their notifications with their state (a commit) rather than through a Notifier, so tests
 * read them where they land.
 */
export async function storedNotifications(store: Pick<Store, 'outbox'>, filter: { types?: readonly NotificationType[] } = {}): Promise<(Notification & { rows: OutboxMessage[] })[]> {
  const rows = (await store.outbox.list({})).reverse();
  const grouped: (Notification & { rows: OutboxMessage[] })[] = [];
  const byKey = new Map<string, Notification & { rows: OutboxMessage[] }>();
  for (const row of rows) {
    if (filter.types && !filter.types.includes(row.type as NotificationType)) continue;
    const prefix = row.dedupeKey?.split('|')[0];
    const key = prefix === undefined ? undefined : `${row.type}\u0000${prefix}`;
    const existing = key === undefined ? undefined : byKey.get(key);
    const audience = parseAudienceKey(row.audience) ?? ({ slackChannel: row.audience } as Audience);
    if (existing) {
      (existing.audience as Audience[]).push(audience);
      existing.rows.push(row);
      continue;
    }
    const notification = { type: row.type as NotificationType, audience: [audience], data: row.payload as NotificationData, dedupeKey: prefix, rows: [row] };
    grouped.push(notification);
    if (key !== undefined) byKey.set(key, notification);
  }
  return grouped;
}
