import type { QueryFilter } from 'mongoose';
import type { Change } from '../../domain/change/change.js';
import type { ChangePatch, ChangeQuery, ChangeRepository } from '../changeRepository.js';
import type { Commit } from '../commit.js';
import { mergeUpdates, pushCommit, relaySoon, withCommit, type MongoCommitRelay } from './mongoCommits.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, fromStored, isDuplicateKey, page, patchUpdate, requireDate, requireNumber, requireString, toStored } from './mongoDocument.js';
import type { ChangeDoc, MongoModels } from './mongoModels.js';

export class MongoChangeRepository implements ChangeRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'changes' | 'sequences'>,
    private readonly relay?: MongoCommitRelay,
  ) {}

  async create(change: Change, commit?: Commit): Promise<void> {
    let inserted: unknown;
    try {
      inserted = (await this.models.changes.collection.insertOne(withCommit(toStored({ ...change }), commit))).insertedId;
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('change', change.code);
      throw error;
    }
    if (commit) await relaySoon(this.relay, 'changes', inserted);
  }

  async findByCode(code: string): Promise<Change | null> {
    const doc = await this.models.changes.findOne({ code: eq(code) }).lean<ChangeDoc>();
    return doc ? fromStored(doc) : null;
  }

  async list(query: ChangeQuery): Promise<Change[]> {
    const filter: QueryFilter<ChangeDoc> = {};
    if (query.requester !== undefined) filter.requester = eq(query.requester);
    if (query.statuses !== undefined) filter.status = { $in: query.statuses.map(requireString) };
    if (query.groups !== undefined) filter.group = { $in: query.groups.map(requireString) };
    if (query.windowFrom !== undefined) filter.windowEnd = { $gt: requireDate(query.windowFrom) };
    if (query.windowTo !== undefined) filter.windowStart = { $lt: requireDate(query.windowTo) };
    const rows = page(query.limit, query.offset);
    if (rows === 'none') return [];
    const docs = await this.models.changes
      .find(filter)
      .sort({ windowStart: -1, code: 1 })
      .skip(rows.skip)
      .limit(rows.limit)
      .lean<ChangeDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async update(code: string, expectedVersion: number, patch: ChangePatch, commit?: Commit): Promise<Change | null> {
    // One conditional write: the version precondition, the change and its commit are applied
    // together by the server, so two writers holding the same version cannot both succeed.
    const doc = await this.models.changes
      .findOneAndUpdate(
        { code: eq(code), version: { $eq: requireNumber(expectedVersion) } },
        mergeUpdates(patchUpdate(patch, ['code', 'version', 'pendingCommits', 'pendingCommitCount']), { $inc: { version: 1 } }, pushCommit(commit)),
        { returnDocument: 'after' },
      )
      .lean<ChangeDoc & { _id: unknown }>();
    if (!doc) return null;
    if (commit) await relaySoon(this.relay, 'changes', doc._id);
    return fromStored(doc);
  }

  async nextSequence(name: string): Promise<number> {
    const increment = () =>
      this.models.sequences
        .findOneAndUpdate({ _id: requireString(name) }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' })
        .lean<{ value: number }>();
    let doc: { value: number } | null;
    try {
      doc = await increment();
    } catch (error) {
      // Two first-ever upserts of one name can race on the _id index; the loser's retry
      // finds the document and increments it.
      if (!isDuplicateKey(error)) throw error;
      doc = await increment();
    }
    if (!doc) throw new Error(`sequence "${name}" was not returned by its upsert`);
    return doc.value;
  }
}
