import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { wordsOf } from '../../domain/search/searchWords.js';
import type { CommandRepository, CommandScanRange, CommandSearchPage, CommandSearchQuery } from '../commandRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, isDuplicateKey, requireDate, requireNumber, requireString, toStored } from './mongoDocument.js';
import type { CommandDoc, MongoModels } from './mongoModels.js';

const POSITION_COUNTER = 'commands';

export class MongoCommandRepository implements CommandRepository {
  /** The last position allocation of this process: the next one waits for it. */
  private lastAllocation: Promise<unknown> = Promise.resolve();

  constructor(private readonly models: Pick<MongoModels, 'commands' | 'counters'>) {}

  async append(record: CommandRecord): Promise<void> {
    const pos = await this.allocatePosition();
    try {
      await this.models.commands.collection.insertOne({ ...toStored({ ...record }), pos, words: wordsOf(record.line) });
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
   * Every filter is an equality on an indexed field ({field, pos} indexes, so a page of the
   * newest needs no sort); each searched word is an anchored regular expression on the
   * multikey `words` index (a prefix range of the index, not a scan).
   */
  async search(query: CommandSearchQuery): Promise<CommandSearchPage> {
    const filter: Record<string, unknown>[] = [];
    for (const word of query.words ?? []) filter.push({ words: { $regex: `^${escapeRegex(requireString(word))}` } });
    if (query.user !== undefined) filter.push({ user: eq(query.user) });
    if (query.device !== undefined) filter.push({ device: eq(query.device) });
    if (query.changeCode !== undefined) filter.push({ changeCode: eq(query.changeCode) });
    if (query.verdicts && query.verdicts.length > 0) filter.push({ verdict: { $in: query.verdicts.map((v) => requireString(v)) } });
    if (query.since) filter.push({ at: { $gte: requireDate(query.since) } });
    if (query.until) filter.push({ at: { $lt: requireDate(query.until) } });
    const docs = await this.models.commands
      .find(filter.length > 0 ? { $and: filter } : {})
      .sort({ pos: -1, _id: -1 })
      .skip(requireNumber(query.offset))
      .limit(requireNumber(query.limit) + 1)
      .lean<CommandDoc[]>();
    return { records: docs.slice(0, query.limit).map(toRecord), hasMore: docs.length > query.limit };
  }

  /** One cursor on the {at, pos} index, handed out a batch at a time. */
  async *scan(range: CommandScanRange): AsyncIterable<readonly CommandRecord[]> {
    const at: Record<string, Date> = {};
    if (range.since) at.$gte = requireDate(range.since);
    if (range.until) at.$lt = requireDate(range.until);
    const size = range.batchSize ?? 1000;
    const cursor = this.models.commands
      .find(Object.keys(at).length > 0 ? { at } : {})
      .sort({ at: 1, pos: 1, _id: 1 })
      .batchSize(size)
      .lean<CommandDoc[]>()
      .cursor();
    let batch: CommandRecord[] = [];
    try {
      for await (const doc of cursor) {
        batch.push(toRecord(doc as CommandDoc));
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      await cursor.close();
    }
  }

  /** Commands stored before search existed get their words (once; later starts find none). */
  async fillMissingWords(): Promise<void> {
    for (;;) {
      const docs = await this.models.commands
        .find({ words: { $exists: false } }, { _id: 1, line: 1 })
        .limit(1000)
        .lean<{ _id: unknown; line: string }[]>();
      if (docs.length === 0) return;
      await this.models.commands.collection.bulkWrite(
        docs.map((doc) => ({ updateOne: { filter: { _id: doc._id as never }, update: { $set: { words: wordsOf(String(doc.line)) } } } })),
        { ordered: false },
      );
    }
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
  const { _id, pos, words, ...record } = doc;
  return record;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
