import type { Session, SessionState } from '../../domain/session/session.js';
import type { Commit } from '../commit.js';
import type { SessionPatch, SessionRepository } from '../sessionRepository.js';
import { relaySoon, storedCommit, type MongoCommitRelay } from './mongoCommits.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { applyPatch, eq, fromStored, requireString, toStored } from './mongoDocument.js';
import type { MongoModels, SessionDoc } from './mongoModels.js';
import type { MongoRevisioned } from './mongoRevisioned.js';

export class MongoSessionRepository implements SessionRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'sessions'>,
    private readonly sessions: MongoRevisioned['sessions'],
    private readonly relay?: MongoCommitRelay,
  ) {}

  async create(session: Session, commit?: Commit): Promise<void> {
    if (!(await this.sessions.insert(requireString(session.id), toStored({ ...session }), storedCommit(commit)))) throw new DuplicateKeyError('session', session.id);
    if (commit) await relaySoon(this.relay, this.sessions.kind, session.id);
  }

  async findById(id: string): Promise<Session | null> {
    const { doc } = await this.sessions.current(requireString(id));
    return doc ? fromStored<Session>(doc) : null;
  }

  async listByChange(changeCode: string): Promise<Session[]> {
    const docs = await this.models.sessions.find({ changeCode: eq(changeCode) }).sort({ startedAt: 1, id: 1 }).lean<SessionDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async listActive(owner?: string): Promise<Session[]> {
    const filter = owner === undefined ? { state: eq('active') } : { state: eq('active'), owner: eq(owner) };
    // Ties (sessions started in the same millisecond) by id, the listing copy's `_id`.
    const docs = await this.models.sessions.find(filter).sort({ startedAt: 1, _id: 1 }).lean<SessionDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async update(id: string, expectedState: SessionState, patch: SessionPatch, commit?: Commit): Promise<Session | null> {
    requireString(expectedState);
    // Nothing to write (no change, no commit): still answer whether the session is in the expected state.
    const empty = Object.keys(patch).length === 0 && !commit;
    const outcome = await this.sessions.write(
      requireString(id),
      (current) => {
        if (current === null || current.state !== expectedState) return undefined;
        return empty ? undefined : applyPatch(current, patch, ['id']);
      },
      storedCommit(commit),
    );
    if (outcome.written) {
      if (commit) await relaySoon(this.relay, this.sessions.kind, id);
      return outcome.doc ? fromStored<Session>(outcome.doc) : null;
    }
    return empty && outcome.current?.state === expectedState ? fromStored<Session>(outcome.current) : null;
  }
}
