import type { QueryFilter } from 'mongoose';
import type { ClaimRequest, OutboxMessage, OutboxQuery, OutboxRepository } from '../outboxRepository.js';
import { eq, fromStored, isDuplicateKey, page, requireDate, requireNumber, requireString, toStored } from './mongoDocument.js';
import type { OutboxDoc, SlackModels } from './mongoSlackModels.js';

export class MongoOutboxRepository implements OutboxRepository {
  constructor(private readonly models: Pick<SlackModels, 'outbox'>) {}

  async enqueue(message: OutboxMessage): Promise<boolean> {
    try {
      await this.models.outbox.collection.insertOne(toStored({ ...message, payload: JSON.stringify(message.payload) }));
      return true;
    } catch (error) {
      // The partial unique index on dedupeKey: someone enqueued this notification already.
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async claimDue(request: ClaimRequest): Promise<OutboxMessage[]> {
    const now = requireDate(request.now);
    const until = new Date(now.getTime() + requireNumber(request.claimMs));
    const claimed: OutboxMessage[] = [];
    // One conditional write per message: the due-condition is in the filter, so a message
    // another worker claimed a moment earlier no longer matches.
    for (let i = 0; i < Math.floor(request.limit); i++) {
      const doc = await this.models.outbox
        .findOneAndUpdate(
          {
            $or: [
              { status: { $eq: 'pending' }, nextAttemptAt: { $lte: now } },
              { status: { $eq: 'sending' }, claimedUntil: { $lte: now } },
            ],
          },
          { $set: { status: 'sending', claimedBy: requireString(request.owner), claimedUntil: until, updatedAt: now }, $inc: { attempts: 1 } },
          { sort: { nextAttemptAt: 1, _id: 1 }, returnDocument: 'after' },
        )
        .lean<OutboxDoc>();
      if (!doc) break;
      claimed.push(fromDoc(doc));
    }
    return claimed;
  }

  async markDelivered(id: string, owner: string, delivery: { at: Date; channel: string; ts: string }): Promise<boolean> {
    const at = requireDate(delivery.at);
    const result = await this.models.outbox.updateOne(
      { id: eq(id), status: { $eq: 'sending' }, claimedBy: eq(owner) },
      {
        $set: { status: 'delivered', deliveredAt: at, delivered: { channel: requireString(delivery.channel), ts: requireString(delivery.ts) }, updatedAt: at },
        $unset: { lastError: '', claimedBy: '', claimedUntil: '' },
      },
    );
    return result.modifiedCount === 1;
  }

  async markFailed(id: string, owner: string, failure: { at: Date; error: string; retryAt: Date | null }): Promise<boolean> {
    const at = requireDate(failure.at);
    const result = await this.models.outbox.updateOne(
      { id: eq(id), status: { $eq: 'sending' }, claimedBy: eq(owner) },
      {
        $set: {
          status: failure.retryAt ? 'pending' : 'failed',
          lastError: requireString(failure.error),
          nextAttemptAt: failure.retryAt ? requireDate(failure.retryAt) : at,
          updatedAt: at,
        },
        $unset: { claimedBy: '', claimedUntil: '' },
      },
    );
    return result.modifiedCount === 1;
  }

  async findById(id: string): Promise<OutboxMessage | null> {
    const doc = await this.models.outbox.findOne({ id: eq(id) }).lean<OutboxDoc>();
    return doc ? fromDoc(doc) : null;
  }

  async list(query: OutboxQuery): Promise<OutboxMessage[]> {
    const filter: QueryFilter<OutboxDoc> = {};
    if (query.statuses !== undefined) filter.status = { $in: query.statuses.map(requireString) };
    if (query.audience !== undefined) filter.audience = eq(query.audience);
    const rows = page(query.limit, query.offset);
    if (rows === 'none') return [];
    const docs = await this.models.outbox.find(filter).sort({ createdAt: -1, _id: -1 }).skip(rows.skip).limit(rows.limit).lean<OutboxDoc[]>();
    return docs.map(fromDoc);
  }
}

function fromDoc(doc: OutboxDoc): OutboxMessage {
  const stored = fromStored(doc);
  return { ...stored, payload: JSON.parse(stored.payload) as Record<string, unknown> };
}
