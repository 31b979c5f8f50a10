import { Schema, type Connection, type Model } from 'mongoose';
import type { UsedLinkNonce } from '../linkNonceRepository.js';

export type UsedLinkNonceDoc = UsedLinkNonce;

/**
 * Used approval-link nonces. Kept apart from mongoModels.ts because only the web adapter
 * needs them; the TTL index lets MongoDB drop a nonce once its link has expired anyway.
 */
export function defineLinkNonceModel(connection: Connection): Model<UsedLinkNonceDoc> {
  const schema = new Schema<UsedLinkNonceDoc>(
    {
      nonce: { type: String, required: true },
      code: { type: String, required: true },
      approver: { type: String, required: true },
      usedAt: { type: Date, required: true },
      expiresAt: { type: Date, required: true },
    },
    { strict: false, strictQuery: false, versionKey: false, minimize: false, id: false, autoIndex: false },
  );
  schema.index({ nonce: 1 }, { unique: true });
  schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  return connection.model<UsedLinkNonceDoc>('UsedLinkNonce', schema, 'used_link_nonces');
}

/** Creates the collection and its indexes (see ensureIndexes in mongoModels.ts for why create, not sync). */
export async function ensureLinkNonceIndexes(model: Model<UsedLinkNonceDoc>): Promise<void> {
  await model.createCollection().catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== 48) throw error;
  });
  await model.createIndexes();
}
