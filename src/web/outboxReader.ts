import type { Audience } from '../notify/notification.js';

/** One notification as the outbox page shows it. */
export interface OutboxEntryView {
  readonly id: string;
  readonly createdAt: Date;
  readonly type: string;
  readonly audience: readonly Audience[];
  /** The plain-text rendering of the notification. */
  readonly text: string;
  /** Delivery state, when the outbox tracks one (pending, sent, failed...). */
  readonly state?: string | undefined;
}

/**
 * What the outbox page needs from the notification outbox (used when Slack is not
 * configured): newest first, paged.
 */
export interface OutboxReader {
  list(query: { readonly limit: number; readonly offset: number }): Promise<{ readonly entries: readonly OutboxEntryView[]; readonly total: number }>;
}
