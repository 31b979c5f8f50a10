import type { Session, SessionState } from '../domain/session/session.js';

export type SessionPatch = Partial<Omit<Session, 'id' | 'changeCode' | 'user' | 'device' | 'startedAt'>>;

export interface SessionRepository {
  create(session: Session): Promise<void>;
  findById(id: string): Promise<Session | null>;
  listByChange(changeCode: string): Promise<Session[]>;
  listActive(owner?: string): Promise<Session[]>;
  /** Applies `patch` only while the session is in `expectedState`; null otherwise. */
  update(id: string, expectedState: SessionState, patch: SessionPatch): Promise<Session | null>;
}
