import { Schema, type Connection, type Model } from 'mongoose';
import type { UsedLinkNonce } from '../linkNonceRepository.js';

/**
 * What only the web portal stores: used approval-link nonces. Like mongoModels.ts, the schema
 * lists what is filtered or indexed on. Nonces of expired links are deleted by the code
 * (`purgeExpired`, at each link decision; the collection stays small), not by a TTL index:
 * FerretDB refuses `expireAfterSeconds` ("not implemented yet"), and a sweep in the code works
 * on every server. Databases from before keep their TTL index, which does no harm.
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
  return { linkNonces: connection.model<UsedLinkNonceDoc>('UsedLinkNonce', schema, 'used_link_nonces') };
}
