import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { CommandRepository } from '../commandRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, isDuplicateKey, nextPosition, requireNumber, requireString, toStored } from './mongoDocument.js';
import type { CommandDoc, MongoModels } from './mongoModels.js';

/**
 * Positions order the commands as they were judged. A session lives in one process, so what
 * must be ordered exactly is what one process appends, in call order; across processes (a
 * change's sessions on several nodes) time order is what a reader expects: `nextPosition`
 * (mongoDocument.ts). No shared counter, which on FerretDB would need a round of revisions per
 * command (its `$inc` is a read and a write, measured handing one value to many callers), and
 * on MongoDB one more round trip per command. Positions from an older version (a counter from
 * 1) sort before these. Ties between processes fall back to `_id` (the command id).
 */
export class MongoCommandRepository implements CommandRepository {
  constructor(private readonly models: Pick<MongoModels, 'commands'>) {}

  async append(record: CommandRecord): Promise<void> {
    const pos = nextPosition();
    try {
      // `_id` is the command's id: setting its exit status is then an `_id` lookup, the one
      // FerretDB answers without scanning the collection.
      await this.models.commands.collection.insertOne({ _id: requireString(record.id), ...toStored({ ...record }), pos } as never);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('command', record.id);
      throw error;
    }
  }

  async listBySession(sessionId: string): Promise<CommandRecord[]> {
    const docs = await this.models.commands.find({ sessionId: eq(sessionId) }).sort({ pos: 1, _id: 1 }).lean<CommandDoc[]>();
    return docs.map(toRecord);
  }

  async listByChange(changeCode: string): Promise<CommandRecord[]> {
    const docs = await this.models.commands.find({ changeCode: eq(changeCode) }).sort({ pos: 1, _id: 1 }).lean<CommandDoc[]>();
    return docs.map(toRecord);
  }

  async countRuleMatches(user: string, ruleId: string): Promise<number> {
    // `$eq` on an array field matches documents whose array holds the value.
    return this.models.commands.countDocuments({ user: eq(user), ruleIds: eq(ruleId) });
  }

  async setExitStatus(id: string, exitStatus: number): Promise<void> {
    const update = { $set: { exitStatus: requireNumber(exitStatus) } };
    const byId = await this.models.commands.collection.updateOne({ _id: requireString(id) } as never, update);
    // A command stored by an earlier version has an ObjectId `_id`.
    if (byId.matchedCount === 0) await this.models.commands.updateOne({ id: eq(id) }, update);
  }
}

function toRecord(doc: CommandDoc & { _id?: unknown }): CommandRecord {
  const { _id, pos, ...record } = doc;
  return record;
}
