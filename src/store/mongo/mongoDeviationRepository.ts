import type { DeviationRequest, DeviationStatus } from '../../domain/deviation/deviationRequest.js';
import type { Commit } from '../commit.js';
import type { DeviationPatch, DeviationRepository } from '../deviationRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { relaySoon, storedCommit, type MongoCommitRelay } from './mongoCommits.js';
import { applyPatch, eq, fromStored, requireString, toStored } from './mongoDocument.js';
import type { DeviationDoc, MongoModels } from './mongoModels.js';
import type { MongoRevisioned } from './mongoRevisioned.js';

/** Requests are revisioned (revisionedCollection.ts): settling is the insert of the next revision, so exactly one settlement wins. */
export class MongoDeviationRepository implements DeviationRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'deviations'>,
    private readonly deviations: MongoRevisioned['deviations'],
    private readonly relay?: MongoCommitRelay,
  ) {}

  async create(request: DeviationRequest, commit?: Commit): Promise<void> {
    if (!(await this.deviations.insert(requireString(request.id), toStored({ ...request }), storedCommit(commit)))) throw new DuplicateKeyError('deviation', request.id);
    if (commit) await relaySoon(this.relay, this.deviations.kind, request.id);
  }

  async findById(id: string): Promise<DeviationRequest | null> {
    const { doc } = await this.deviations.current(requireString(id));
    return doc ? fromStored<DeviationRequest>(doc) : null;
  }

  async listByChange(changeCode: string): Promise<DeviationRequest[]> {
    const docs = await this.models.deviations.find({ changeCode: eq(changeCode) }).sort({ requestedAt: 1, _id: 1 }).lean<DeviationDoc[]>();
    // The listing copy may lag a settlement in progress by a moment: the current revision decides.
    return Promise.all(docs.map(async (doc) => (await this.findById(doc.id)) ?? fromStored(doc)));
  }

  async settle(id: string, expected: DeviationStatus, patch: DeviationPatch, commit?: Commit): Promise<DeviationRequest | null> {
    requireString(expected);
    const outcome = await this.deviations.write(
      requireString(id),
      (current) => (current === null || current.status !== expected ? undefined : applyPatch(current, patch, ['id'])),
      storedCommit(commit),
    );
    if (!outcome.written) return null;
    if (commit) await relaySoon(this.relay, this.deviations.kind, id);
    return outcome.doc ? fromStored<DeviationRequest>(outcome.doc) : null;
  }
}
