/**
 * The notification outbox: every notification is stored before anything is sent, so a
 * Slack outage, a rate limit or a crash between "decided to notify" and "posted" loses
 * nothing. One message per destination, so a retry never re-posts to a destination that
 * already got it.
 */

export const OUTBOX_STATUSES = ['pending', 'sending', 'delivered', 'failed', 'not_sent'] as const;
/**
 * pending: waiting for its next attempt. sending: claimed by a delivery worker. delivered:
 * Slack accepted it. failed: given up (a permanent error, or too many attempts). not_sent:
 * never handed to Slack (Slack not configured, or no Slack destination): kept for the web page.
 */
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** A new message in a channel or DM (optionally a thread reply), or an edit of a posted one. */
export type OutboxPlacement =
  | { readonly kind: 'post'; readonly threadTs?: string | undefined }
  | { readonly kind: 'update'; readonly ts: string };

export interface OutboxMessage {
  readonly id: string;
  /** Unique when set: enqueueing the same key twice keeps the first message. */
  readonly dedupeKey?: string | undefined;
  /** Notification type (the catalogue in src/notify/notification.ts). */
  readonly type: string;
  /** Who it is for, as written: `role:security`, `user:bob`, `channel:C01ABC`. */
  readonly audience: string;
  /** The Slack conversation it goes to; absent when the audience has none. */
  readonly channel?: string | undefined;
  readonly placement: OutboxPlacement;
  /** The notification's data: JSON values only (dates as ISO strings). */
  readonly payload: Readonly<Record<string, unknown>>;
  /** Plain-text rendering, for the web page and the log. */
  readonly text: string;
  readonly status: OutboxStatus;
  /** Delivery attempts started so far. */
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError?: string | undefined;
  readonly claimedBy?: string | undefined;
  readonly claimedUntil?: Date | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deliveredAt?: Date | undefined;
  /** Where Slack put it (a DM's channel id differs from the user id it was sent to). */
  readonly delivered?: { readonly channel: string; readonly ts: string } | undefined;
}

export interface OutboxQuery {
  readonly statuses?: readonly OutboxStatus[] | undefined;
  readonly audience?: string | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

export interface ClaimRequest {
  readonly now: Date;
  /** Which worker takes them: only it may mark them delivered or failed. */
  readonly owner: string;
  /** How long the claim lasts: a worker that dies mid-send frees its messages after it. */
  readonly claimMs: number;
  readonly limit: number;
}

export interface OutboxRepository {
  /** Stores a message; returns false (storing nothing) when its dedupeKey is taken. */
  enqueue(message: OutboxMessage): Promise<boolean>;
  /**
   * Atomically takes up to `limit` messages that are due (pending with nextAttemptAt <= now,
   * or sending with an expired claim), oldest due first, and counts an attempt on each. Two
   * workers, in one process or several, never get the same message while a claim lasts.
   */
  claimDue(request: ClaimRequest): Promise<OutboxMessage[]>;
  /** Only while `owner` still holds the claim; false when it was lost. */
  markDelivered(id: string, owner: string, delivery: { at: Date; channel: string; ts: string }): Promise<boolean>;
  /** A failed attempt: pending again at `retryAt`, or failed for good when `retryAt` is null. */
  markFailed(id: string, owner: string, failure: { at: Date; error: string; retryAt: Date | null }): Promise<boolean>;
  findById(id: string): Promise<OutboxMessage | null>;
  /** Newest first. */
  list(query: OutboxQuery): Promise<OutboxMessage[]>;
}
