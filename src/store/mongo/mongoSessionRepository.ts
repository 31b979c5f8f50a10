import type { Session, SessionState } from '../../domain/session/session.js';
import type { SessionPatch, SessionRepository } from '../sessionRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, fromStored, isDuplicateKey, patchUpdate, toStored } from './mongoDocument.js';
import type { MongoModels, SessionDoc } from './mongoModels.js';

export class MongoSessionRepository implements SessionRepository {
  constructor(private readonly models: Pick<MongoModels, 'sessions'>) {}

  async create(session: Session): Promise<void> {
    try {
      await this.models.sessions.collection.insertOne(toStored({ ...session }));
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('session', session.id);
      throw error;
    }
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

  async update(id: string, expectedState: SessionState, patch: SessionPatch): Promise<Session | null> {
    const filter = { id: eq(id), state: eq(expectedState) };
    const update = patchUpdate(patch, ['id']);
    // Nothing to write: still answer whether the session is in the expected state.
    const doc =
      update.$set === undefined && update.$unset === undefined
        ? await this.models.sessions.findOne(filter).lean<SessionDoc>()
        : await this.models.sessions.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<SessionDoc>();
    return doc ? fromStored(doc) : null;
  }
}
