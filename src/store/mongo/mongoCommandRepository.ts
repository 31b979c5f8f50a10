import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { CommandRepository } from '../commandRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, isDuplicateKey, requireNumber, toStored } from './mongoDocument.js';
import type { CommandDoc, MongoModels } from './mongoModels.js';

const POSITION_COUNTER = 'commands';

export class MongoCommandRepository implements CommandRepository {
  /** The last position allocation of this process: the next one waits for it. */
  private lastAllocation: Promise<unknown> = Promise.resolve();

  constructor(private readonly models: Pick<MongoModels, 'commands' | 'counters'>) {}

  async append(record: CommandRecord): Promise<void> {
    const pos = await this.allocatePosition();
    try {
      await this.models.commands.collection.insertOne({ ...toStored({ ...record }), pos });
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('command', record.id);
      throw error;
    }
  }

  async listBySession(sessionId: string): Promise<CommandRecord[]> {
    const docs = await this.models.commands.find({ sessionId: eq(sessionId) }).sort({ pos: 1 }).lean<CommandDoc[]>();
    return docs.map(toRecord);
  }

  async listByChange(changeCode: string): Promise<CommandRecord[]> {
    const docs = await this.models.commands.find({ changeCode: eq(changeCode) }).sort({ pos: 1 }).lean<CommandDoc[]>();
    return docs.map(toRecord);
  }

  async countRuleMatches(user: string, ruleId: string): Promise<number> {
    // `$eq` on an array field matches documents whose array holds the value.
    return this.models.commands.countDocuments({ user: eq(user), ruleIds: eq(ruleId) });
  }

  async setExitStatus(id: string, exitStatus: number): Promise<void> {
    await this.models.commands.updateOne({ id: eq(id) }, { $set: { exitStatus: requireNumber(exitStatus) } });
  }

  /**
   * Positions come from one counter shared by every process (an ObjectId is only ordered
   * within the process that made it). Allocations of this process are chained so that
   * commands appended without awaiting still get positions in call order, as the
   * synchronous SQLite store gives them.
   */
  private allocatePosition(): Promise<number> {
    const allocation = this.lastAllocation.then(() => this.incrementCounter());
    this.lastAllocation = allocation.catch(() => undefined);
    return allocation;
  }

  private async incrementCounter(): Promise<number> {
    const increment = () =>
      this.models.counters
        .findOneAndUpdate({ _id: POSITION_COUNTER }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' })
        .lean<{ value: number }>();
    let doc: { value: number } | null;
    try {
      doc = await increment();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      doc = await increment();
    }
    if (!doc) throw new Error('the command position counter was not returned by its upsert');
    return doc.value;
  }
}

function toRecord(doc: CommandDoc & { _id?: unknown }): CommandRecord {
  const { _id, pos, ...record } = doc;
  return record;
}
