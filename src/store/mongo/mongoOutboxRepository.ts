import type { QueryFilter } from 'mongoose';
import type { ClaimRequest, OutboxMessage, OutboxQuery, OutboxRepository } from '../outboxRepository.js';
import { eq, fromStored, nextPosition, page, requireDate, requireNumber, requireString, toStored } from './mongoDocument.js';
import type { MongoRevisioned } from './mongoRevisioned.js';
import type { OutboxDoc, SlackModels } from './mongoSlackModels.js';

/** How many due messages one query looks at, beyond the number asked for (others may win some). */
const CANDIDATE_SLACK = 10;

export class MongoOutboxRepository implements OutboxRepository {
  constructor(
    private readonly models: Pick<SlackModels, 'outbox'>,
    private readonly messages: MongoRevisioned['outbox'],
  ) {}

  async enqueue(message: OutboxMessage): Promise<boolean> {
    // False when the id or the dedupe key is taken: someone enqueued this notification already.
    return this.messages.insert(requireString(message.id), toOutboxDoc(message));
  }

  async claimDue(request: ClaimRequest): Promise<OutboxMessage[]> {
    const now = requireDate(request.now);
    const owner = requireString(request.owner);
    const until = new Date(now.getTime() + requireNumber(request.claimMs));
    const limit = Math.floor(request.limit);
    const claimed: OutboxMessage[] = [];
    const tried: string[] = [];
    while (claimed.length < limit) {
      // Candidates from the listing; each claim is then decided on the message's latest
      // revision, so a message another worker claimed a moment earlier is no longer due.
      const candidates = await this.models.outbox
        .find({ ...dueFilter(now), id: { $nin: tried } })
        .sort({ nextAttemptAt: 1, pos: 1 })
        .limit(limit - claimed.length + CANDIDATE_SLACK)
        .select({ id: 1 })
        .lean<{ id: string }[]>();
      if (candidates.length === 0) break;
      for (const { id } of candidates) {
        if (claimed.length >= limit) break;
        tried.push(id);
        const outcome = await this.messages.write(id, (current) =>
          current !== null && isDue(current, now)
            ? { ...current, status: 'sending', claimedBy: owner, claimedUntil: until, updatedAt: now, attempts: current.attempts + 1 }
            : undefined,
        );
        if (outcome.written && outcome.doc) claimed.push(fromDoc(outcome.doc));
      }
    }
    // Oldest due first, whatever order the claims were won in.
    return claimed.sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime());
  }

  async markDelivered(id: string, owner: string, delivery: { at: Date; channel: string; ts: string }): Promise<boolean> {
    const at = requireDate(delivery.at);
    const delivered = { channel: requireString(delivery.channel), ts: requireString(delivery.ts) };
    return this.settle(id, owner, (current) => {
      const { lastError: _lastError, claimedBy: _by, claimedUntil: _until, ...rest } = current;
      return { ...rest, status: 'delivered', deliveredAt: at, delivered, updatedAt: at };
    });
  }

  async markFailed(id: string, owner: string, failure: { at: Date; error: string; retryAt: Date | null }): Promise<boolean> {
    const at = requireDate(failure.at);
    const error = requireString(failure.error);
    const retryAt = failure.retryAt ? requireDate(failure.retryAt) : null;
    return this.settle(id, owner, (current) => {
      const { claimedBy: _by, claimedUntil: _until, ...rest } = current;
      return { ...rest, status: retryAt ? 'pending' : 'failed', lastError: error, nextAttemptAt: retryAt ?? at, updatedAt: at };
    });
  }

  async findById(id: string): Promise<OutboxMessage | null> {
    const { doc } = await this.messages.current(requireString(id));
    return doc ? fromDoc(doc) : null;
  }

  async list(query: OutboxQuery): Promise<OutboxMessage[]> {
    const filter: QueryFilter<OutboxDoc> = {};
    if (query.statuses !== undefined) filter.status = { $in: query.statuses.map(requireString) };
    if (query.audience !== undefined) filter.audience = eq(query.audience);
    const rows = page(query.limit, query.offset);
    if (rows === 'none') return [];
    const docs = await this.models.outbox.find(filter).sort({ createdAt: -1, pos: -1 }).skip(rows.skip).limit(rows.limit).lean<OutboxDoc[]>();
    return docs.map(fromDoc);
  }

  /** Only the holder of the current claim settles it; a takeover and a settlement of one claim are one revision apart, so only one of them happens. */
  private async settle(id: string, owner: string, settled: (current: OutboxDoc) => OutboxDoc): Promise<boolean> {
    requireString(owner);
    const outcome = await this.messages.write(requireString(id), (current) =>
      current !== null && current.status === 'sending' && current.claimedBy === owner ? settled(current) : undefined,
    );
    return outcome.written;
  }
}

function dueFilter(now: Date): QueryFilter<OutboxDoc> {
  return {
    $or: [
      { status: { $eq: 'pending' }, nextAttemptAt: { $lte: now } },
      { status: { $eq: 'sending' }, claimedUntil: { $lte: now } },
    ],
  };
}

function isDue(doc: OutboxDoc, now: Date): boolean {
  if (doc.status === 'pending') return doc.nextAttemptAt.getTime() <= now.getTime();
  return doc.status === 'sending' && doc.claimedUntil !== undefined && doc.claimedUntil.getTime() <= now.getTime();
}

/**
 * The payload is kept as JSON text (any key survives); `dedupe` is the unique field that
 * makes enqueueing a dedupe key twice keep the first message: the key itself, or for a message
 * without one its id, so the field is always set and one plain unique index serves (FerretDB
 * has no partial indexes).
 */
export function toOutboxDoc(message: OutboxMessage): OutboxDoc {
  return toStored({
    ...message,
    payload: JSON.stringify(message.payload),
    dedupe: message.dedupeKey !== undefined ? `key:${message.dedupeKey}` : `id:${message.id}`,
    // Ties of createdAt (a burst raised in one millisecond) listed in the order enqueued, as
    // SQLite's rowid lists them; `_id` is the message id, which orders nothing.
    pos: nextPosition(),
  });
}

function fromDoc(doc: OutboxDoc): OutboxMessage {
  const { dedupe: _dedupe, pos: _pos, ...stored } = fromStored(doc);
  return { ...stored, payload: JSON.parse(stored.payload) as Record<string, unknown> };
}
