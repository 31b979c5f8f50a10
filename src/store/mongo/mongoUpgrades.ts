import type { OutboxDoc, SlackModels } from './mongoSlackModels.js';

/**
 * Brings documents written by an earlier version up to what this one's indexes need, before
 * the indexes are created. Each step is idempotent and cheap once done (it finds nothing),
 * so every start runs them; two processes starting at once write the same values.
 */

/**
 * Outbox messages once had a partial unique index on `dedupeKey`; now every message has
 * `dedupe` (the key, or the id when there is none) under a plain unique index, which would
 * refuse to build while older messages lack the field.
 */
export async function backfillOutboxDedupe(models: Pick<SlackModels, 'outbox'>): Promise<number> {
  let updated = 0;
  const older = models.outbox.collection.find({ dedupe: { $exists: false } }, { projection: { _id: 1, id: 1, dedupeKey: 1 } });
  for await (const doc of older as AsyncIterable<Pick<OutboxDoc, 'id' | 'dedupeKey'> & { _id: unknown }>) {
    const dedupe = typeof doc.dedupeKey === 'string' ? `key:${doc.dedupeKey}` : `id:${doc.id}`;
    await models.outbox.collection.updateOne({ _id: doc._id, dedupe: { $exists: false } } as never, { $set: { dedupe } });
    updated++;
  }
  return updated;
}
