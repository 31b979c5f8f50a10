import type { Model } from 'mongoose';
import type { LinkNonceRepository, UsedLinkNonce } from '../linkNonceRepository.js';
import { eq, isDuplicateKey, requireDate, requireString, toStored } from './mongoDocument.js';
import type { UsedLinkNonceDoc } from './mongoWebModels.js';

export class MongoLinkNonceRepository implements LinkNonceRepository {
  constructor(private readonly model: Model<UsedLinkNonceDoc>) {}

  async claim(used: UsedLinkNonce): Promise<boolean> {
    try {
      // The unique index on `nonce` lets exactly one insert through, whichever process tries.
      await this.model.collection.insertOne(
        toStored({
          nonce: requireString(used.nonce),
          code: requireString(used.code),
          approver: requireString(used.approver),
          usedAt: requireDate(used.usedAt),
          expiresAt: requireDate(used.expiresAt),
        }),
      );
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async isUsed(nonce: string): Promise<boolean> {
    return (await this.model.exists({ nonce: eq(nonce) })) !== null;
  }

  async purgeExpired(before: Date): Promise<number> {
    const result = await this.model.deleteMany({ expiresAt: { $lt: requireDate(before) } });
    return result.deletedCount;
  }
}
