import type { Session, SessionState } from '../../domain/session/session.js';
import type { Commit } from '../commit.js';
import type { SessionPatch, SessionRepository } from '../sessionRepository.js';
import { mergeUpdates, pushCommit, relaySoon, withCommit, type MongoCommitRelay } from './mongoCommits.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, fromStored, isDuplicateKey, patchUpdate, toStored } from './mongoDocument.js';
import type { MongoModels, SessionDoc } from './mongoModels.js';

export class MongoSessionRepository implements SessionRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'sessions'>,
    private readonly relay?: MongoCommitRelay,
  ) {}

  async create(session: Session, commit?: Commit): Promise<void> {
    let inserted: unknown;
    try {
      inserted = (await this.models.sessions.collection.insertOne(withCommit(toStored({ ...session }), commit))).insertedId;
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('session', session.id);
      throw error;
    }
    if (commit) await relaySoon(this.relay, 'sessions', inserted);
  }

  async findById(id: string): Promise<Session | null> {
    const doc = await this.models.sessions.findOne({ id: eq(id) }).lean<SessionDoc>();
    return doc ? fromStored(doc) : null;
  }

  async listByChange(changeCode: string): Promise<Session[]> {
    const docs = await this.models.sessions.find({ changeCode: eq(changeCode) }).sort({ startedAt: 1, id: 1 }).lean<SessionDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async listActive(owner?: string): Promise<Session[]> {
    const filter = owner === undefined ? { state: eq('active') } : { state: eq('active'), owner: eq(owner) };
    // _id breaks ties in insertion order, as SQLite's rowid does.
    const docs = await this.models.sessions.find(filter).sort({ startedAt: 1, _id: 1 }).lean<SessionDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async update(id: string, expectedState: SessionState, patch: SessionPatch, commit?: Commit): Promise<Session | null> {
    const filter = { id: eq(id), state: eq(expectedState) };
    const update = mergeUpdates(patchUpdate(patch, ['id', 'pendingCommits', 'pendingCommitCount']), pushCommit(commit));
    // Nothing to write: still answer whether the session is in the expected state.
    const doc =
      Object.keys(update).length === 0
        ? await this.models.sessions.findOne(filter).lean<SessionDoc & { _id: unknown }>()
        : await this.models.sessions.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<SessionDoc & { _id: unknown }>();
    if (!doc) return null;
    if (commit) await relaySoon(this.relay, 'sessions', doc._id);
    return fromStored(doc);
  }
}
