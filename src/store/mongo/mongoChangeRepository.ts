import type { QueryFilter } from 'mongoose';
import type { Change } from '../../domain/change/change.js';
import type { ChangePatch, ChangeQuery, ChangeRepository } from '../changeRepository.js';
import type { Commit } from '../commit.js';
import { relaySoon, storedCommit, type MongoCommitRelay } from './mongoCommits.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { applyPatch, eq, fromStored, page, requireDate, requireNumber, requireString, toStored } from './mongoDocument.js';
import type { ChangeDoc, MongoModels } from './mongoModels.js';
import type { MongoRevisioned } from './mongoRevisioned.js';

export class MongoChangeRepository implements ChangeRepository {
  private readonly changes: MongoRevisioned['changes'];
  private readonly sequences: MongoRevisioned['sequences'];

  constructor(
    private readonly models: Pick<MongoModels, 'changes'>,
    revisioned: Pick<MongoRevisioned, 'changes' | 'sequences'>,
    private readonly relay?: MongoCommitRelay,
  ) {
    this.changes = revisioned.changes;
    this.sequences = revisioned.sequences;
  }

  async create(change: Change, commit?: Commit): Promise<void> {
    if (!(await this.changes.insert(requireString(change.code), toStored({ ...change }), storedCommit(commit)))) throw new DuplicateKeyError('change', change.code);
    if (commit) await relaySoon(this.relay, this.changes.kind, change.code);
  }

  async findByCode(code: string): Promise<Change | null> {
    const { doc } = await this.changes.current(requireString(code));
    return doc ? fromStored<Change>(doc) : null;
  }

  /** From the listing copies, which may lag a write in progress by a moment (revisionedCollection.ts). */
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
    requireNumber(expectedVersion);
    // The next revision decides between writers holding the same version: one wins, the
    // others re-read, find another version and get null. The commit rides in that revision.
    const outcome = await this.changes.write(
      requireString(code),
      (current) =>
        current !== null && current.version === expectedVersion
          ? applyPatch({ ...current, version: current.version + 1 }, patch, ['code', 'version'])
          : undefined,
      storedCommit(commit),
    );
    if (!outcome.written || !outcome.doc) return null;
    if (commit) await relaySoon(this.relay, this.changes.kind, code);
    return fromStored<Change>(outcome.doc);
  }

  async nextSequence(name: string): Promise<number> {
    const outcome = await this.sequences.write(requireString(name), (current) => ({ _id: name, value: (current?.value ?? 0) + 1 }));
    if (!outcome.written || !outcome.doc) throw new Error(`sequence "${name}" was not advanced`);
    return outcome.doc.value;
  }
}
