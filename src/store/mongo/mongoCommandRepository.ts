import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { wordsOf } from '../../domain/search/searchWords.js';
import type { CommandRepository, CommandScanRange, CommandSearchPage, CommandSearchQuery } from '../commandRepository.js';
import type { Commit } from '../commit.js';
import { DuplicateKeyError } from '../storeErrors.js';
import type { MongoCommandCommits } from './mongoCommandCommits.js';
import { storedCommit, type MongoCommitRelay } from './mongoCommits.js';
import { eq, isDuplicateKey, nextPosition, requireDate, requireNumber, requireString, toStored } from './mongoDocument.js';
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
  constructor(
    private readonly models: Pick<MongoModels, 'commands'>,
    private readonly commits: MongoCommandCommits,
    private readonly relay?: MongoCommitRelay,
  ) {}

  /** The command, its searched words and its commit in one document: one insert (mongoCommandCommits.ts). */
  async append(record: CommandRecord, commit?: Commit): Promise<void> {
    const id = requireString(record.id);
    const stored = storedCommit(commit);
    if (stored) await this.commits.mark(id);
    const pos = nextPosition();
    try {
      // `_id` is the command's id: setting its exit status is then an `_id` lookup, the one
      // FerretDB answers without scanning the collection.
      await this.models.commands.collection.insertOne({ _id: id, ...toStored({ ...record }), pos, words: wordsOf(record.line), ...(stored && { commit: stored }) } as never);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('command', record.id);
      throw error;
    }
    if (stored && (await this.relay?.relayWritten(stored))) this.commits.settleSoon(id);
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
}

function toRecord(doc: CommandDoc & { _id?: unknown }): CommandRecord {
  const { _id, pos, words, commit, ...record } = doc;
  return record;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
