import { Schema, type Connection, type Model } from 'mongoose';
import type { UsedLinkNonce } from '../linkNonceRepository.js';

/**
 * What only the web portal stores: used approval-link nonces. Like mongoModels.ts, the schema
 * lists what is filtered or indexed on; the TTL index lets MongoDB drop a nonce once its link
 * has expired anyway (the link is refused by its expiry from then on).
 */
export type UsedLinkNonceDoc = UsedLinkNonce;

export type WebModels = {
  readonly linkNonces: Model<UsedLinkNonceDoc>;
};

export function defineWebModels(connection: Connection): WebModels {
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
  return { linkNonces: connection.model<UsedLinkNonceDoc>('UsedLinkNonce', schema, 'used_link_nonces') };
}
