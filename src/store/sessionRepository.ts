import type { Session, SessionState } from '../domain/session/session.js';
import type { Commit } from './commit.js';

export type SessionPatch = Partial<Omit<Session, 'id' | 'changeCode' | 'user' | 'device' | 'startedAt'>>;

export interface SessionRepository {
  create(session: Session, commit?: Commit): Promise<void>;
  findById(id: string): Promise<Session | null>;
  listByChange(changeCode: string): Promise<Session[]>;
  listActive(owner?: string): Promise<Session[]>;
  /** Applies `patch` (and writes the commit) only while the session is in `expectedState`; null otherwise. */
  update(id: string, expectedState: SessionState, patch: SessionPatch, commit?: Commit): Promise<Session | null>;
}
