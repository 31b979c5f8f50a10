import type { SlackMessageCopy, SlackMessageRepository } from '../slackMessageRepository.js';
import { eq, fromStored, isDuplicateKey, requireString, toStored } from './mongoDocument.js';
import type { SlackMessageDoc, SlackModels } from './mongoSlackModels.js';

export class MongoSlackMessageRepository implements SlackMessageRepository {
  constructor(private readonly models: Pick<SlackModels, 'slackMessages'>) {}

  async record(copy: SlackMessageCopy): Promise<void> {
    const { channel, ts, ...rest } = copy;
    try {
      await this.models.slackMessages.collection.updateOne(
        { channel: requireString(channel), ts: requireString(ts) },
        { $setOnInsert: toStored(rest) },
        { upsert: true },
      );
    } catch (error) {
      // Two first records of one copy racing on the unique index: one of them is kept.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async listByChange(changeCode: string): Promise<SlackMessageCopy[]> {
    const docs = await this.models.slackMessages.find({ changeCode: eq(changeCode) }).sort({ postedAt: 1, _id: 1 }).lean<SlackMessageDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }
}
