import type { Database } from 'better-sqlite3';
import type { ClaimRequest, OutboxMessage, OutboxPlacement, OutboxQuery, OutboxRepository, OutboxStatus } from '../outboxRepository.js';

interface OutboxRow {
  id: string;
  dedupe_key: string | null;
  type: string;
  audience: string;
  channel: string | null;
  placement: string;
  payload: string;
  text: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  claimed_by: string | null;
  claimed_until: number | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
  delivered_channel: string | null;
  delivered_ts: string | null;
}

const DUE = `(status = 'pending' AND next_attempt_at <= @now) OR (status = 'sending' AND claimed_until <= @now)`;

export class SqliteOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Database) {}

  async enqueue(message: OutboxMessage): Promise<boolean> {
    return this.enqueueInTransaction(message);
  }

  /** Synchronous, so a use case's commit can store its rows inside its own transaction. */
  enqueueInTransaction(message: OutboxMessage): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO outbox (id, dedupe_key, type, audience, channel, placement, payload, text, status, attempts,
           next_attempt_at, last_error, claimed_by, claimed_until, created_at, updated_at, delivered_at, delivered_channel, delivered_ts)
         VALUES (@id, @dedupe_key, @type, @audience, @channel, @placement, @payload, @text, @status, @attempts,
           @next_attempt_at, @last_error, @claimed_by, @claimed_until, @created_at, @updated_at, @delivered_at, @delivered_channel, @delivered_ts)
         ON CONFLICT(dedupe_key) DO NOTHING`,
      )
      .run(toRow(message));
    return result.changes === 1;
  }

  async claimDue(request: ClaimRequest): Promise<OutboxMessage[]> {
    // IMMEDIATE: the write lock is taken before the due rows are read, so another process on
    // the same file waits and then sees them claimed.
    const claim = this.db.transaction((): OutboxRow[] => {
      const ids = this.db
        .prepare(`SELECT id FROM outbox WHERE ${DUE} ORDER BY next_attempt_at, rowid LIMIT @limit`)
        .all({ now: request.now.getTime(), limit: Math.max(0, Math.floor(request.limit)) }) as { id: string }[];
      const update = this.db.prepare(
        `UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = @owner, claimed_until = @until, updated_at = @now
         WHERE id = @id AND (${DUE}) RETURNING *`,
      );
      const claimed: OutboxRow[] = [];
      for (const { id } of ids) {
        const row = update.get({ id, owner: request.owner, until: request.now.getTime() + request.claimMs, now: request.now.getTime() }) as
          | OutboxRow
          | undefined;
        if (row) claimed.push(row);
      }
      return claimed;
    });
    return claim.immediate().map(fromRow);
  }

  async markDelivered(id: string, owner: string, delivery: { at: Date; channel: string; ts: string }): Promise<boolean> {
    const result = this.db
      .prepare(
        `UPDATE outbox SET status = 'delivered', delivered_at = @at, delivered_channel = @channel, delivered_ts = @ts,
           last_error = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = @at
         WHERE id = @id AND status = 'sending' AND claimed_by = @owner`,
      )
      .run({ id, owner, at: delivery.at.getTime(), channel: delivery.channel, ts: delivery.ts });
    return result.changes === 1;
  }

  async markFailed(id: string, owner: string, failure: { at: Date; error: string; retryAt: Date | null }): Promise<boolean> {
    const result = this.db
      .prepare(
        `UPDATE outbox SET status = @status, last_error = @error, next_attempt_at = @next, claimed_by = NULL, claimed_until = NULL, updated_at = @at
         WHERE id = @id AND status = 'sending' AND claimed_by = @owner`,
      )
      .run({
        id,
        owner,
        status: failure.retryAt ? 'pending' : 'failed',
        error: failure.error,
        next: (failure.retryAt ?? failure.at).getTime(),
        at: failure.at.getTime(),
      });
    return result.changes === 1;
  }

  async findById(id: string): Promise<OutboxMessage | null> {
    const row = this.db.prepare('SELECT * FROM outbox WHERE id = ?').get(id) as OutboxRow | undefined;
    return row ? fromRow(row) : null;
  }

  async list(query: OutboxQuery): Promise<OutboxMessage[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.statuses !== undefined) {
      where.push(`status IN (${query.statuses.map(() => '?').join(',') || 'NULL'})`);
      params.push(...query.statuses);
    }
    if (query.audience !== undefined) {
      where.push('audience = ?');
      params.push(query.audience);
    }
    params.push(query.limit ?? -1, query.offset ?? 0);
    const rows = this.db
      .prepare(`SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`)
      .all(...params) as OutboxRow[];
    return rows.map(fromRow);
  }
}

function toRow(message: OutboxMessage): OutboxRow {
  return {
    id: message.id,
    dedupe_key: message.dedupeKey ?? null,
    type: message.type,
    audience: message.audience,
    channel: message.channel ?? null,
    placement: JSON.stringify(message.placement),
    payload: JSON.stringify(message.payload),
    text: message.text,
    status: message.status,
    attempts: message.attempts,
    next_attempt_at: message.nextAttemptAt.getTime(),
    last_error: message.lastError ?? null,
    claimed_by: message.claimedBy ?? null,
    claimed_until: message.claimedUntil?.getTime() ?? null,
    created_at: message.createdAt.getTime(),
    updated_at: message.updatedAt.getTime(),
    delivered_at: message.deliveredAt?.getTime() ?? null,
    delivered_channel: message.delivered?.channel ?? null,
    delivered_ts: message.delivered?.ts ?? null,
  };
}

function fromRow(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    ...(row.dedupe_key !== null && { dedupeKey: row.dedupe_key }),
    type: row.type,
    audience: row.audience,
    ...(row.channel !== null && { channel: row.channel }),
    placement: JSON.parse(row.placement) as OutboxPlacement,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    text: row.text,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: new Date(row.next_attempt_at),
    ...(row.last_error !== null && { lastError: row.last_error }),
    ...(row.claimed_by !== null && { claimedBy: row.claimed_by }),
    ...(row.claimed_until !== null && { claimedUntil: new Date(row.claimed_until) }),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    ...(row.delivered_at !== null && { deliveredAt: new Date(row.delivered_at) }),
    ...(row.delivered_channel !== null && row.delivered_ts !== null && { delivered: { channel: row.delivered_channel, ts: row.delivered_ts } }),
  };
}
