import type { SiemFeedItem } from '../domain/siem/siemEvent.js';

/**
 * The SIEM stream's outbox: every audit record and every security alert (an outbox row for the
 * security channel) is appended to one feed, in the same write that stores it, once any sink
 * is registered; each sink keeps a cursor (the last position it got) with its retry state. So
 * nothing is lost across a crash or a restart, each sink gets the events in feed order, and
 * one process at a time sends to a sink (a claim with a lease, as outbox rows have).
 */
export interface SiemFeedRepository {
  /**
   * Makes these the sinks: a new one starts at the current end of the feed (the trail before
   * it is in `audit export`); sinks no longer configured are dropped, and the feed they held
   * back is freed.
   */
  register(sinks: readonly string[], now: Date): Promise<void>;
  /**
   * Takes the sink for `claimMs` when it is due (its retry time passed) and not held by
   * another owner, and returns up to `limit` items after its cursor, in order; null when it is
   * not due or held elsewhere. An empty list: nothing new (the claim is released).
   */
  claim(request: SiemClaimRequest): Promise<readonly SiemFeedItem[] | null>;
  /** The sink got everything up to `pos`: the cursor moves, failures reset. False when the claim was lost. */
  markDelivered(sink: string, owner: string, pos: number, at: Date): Promise<boolean>;
  /** An attempt failed: the cursor stays, the next attempt waits until `retryAt`. */
  markFailed(sink: string, owner: string, failure: { readonly at: Date; readonly error: string; readonly retryAt: Date }): Promise<boolean>;
  /** Each sink's cursor, backlog and last error (for operators and tests). */
  status(): Promise<readonly SiemSinkStatus[]>;
  /** Deletes feed items every sink has; returns how many. */
  prune(): Promise<number>;
}

export interface SiemClaimRequest {
  readonly sink: string;
  readonly owner: string;
  readonly now: Date;
  readonly claimMs: number;
  readonly limit: number;
}

export interface SiemSinkStatus {
  readonly sink: string;
  readonly deliveredPos: number;
  /** Items after the cursor. */
  readonly backlog: number;
  /** Failed attempts since the last delivery. */
  readonly failures: number;
  readonly nextAttemptAt: Date;
  readonly lastError?: string | undefined;
  readonly lastDeliveredAt?: Date | undefined;
}
