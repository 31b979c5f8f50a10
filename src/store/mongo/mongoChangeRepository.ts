import type { QueryFilter } from 'mongoose';
import type { Change } from '../../domain/change/change.js';
import type { ChangePatch, ChangeQuery, ChangeRepository } from '../changeRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, fromStored, isDuplicateKey, page, patchUpdate, requireDate, requireNumber, requireString, toStored } from './mongoDocument.js';
import type { ChangeDoc, MongoModels } from './mongoModels.js';

export class MongoChangeRepository implements ChangeRepository {
  constructor(private readonly models: Pick<MongoModels, 'changes' | 'sequences'>) {}

  async create(change: Change): Promise<void> {
    try {
      await this.models.changes.collection.insertOne(toStored({ ...change }));
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('change', change.code);
      throw error;
    }
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

  async update(code: string, expectedVersion: number, patch: ChangePatch): Promise<Change | null> {
    // One conditional write: the version precondition and the change are applied together by
    // the server, so two writers holding the same version cannot both succeed.
    const doc = await this.models.changes
      .findOneAndUpdate(
        { code: eq(code), version: { $eq: requireNumber(expectedVersion) } },
        { ...patchUpdate(patch, ['code', 'version']), $inc: { version: 1 } },
        { returnDocument: 'after' },
      )
      .lean<ChangeDoc>();
    return doc ? fromStored(doc) : null;
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
