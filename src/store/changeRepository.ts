import type { Change } from '../domain/change/change.js';
import type { ChangeStatus } from '../domain/change/changeStatus.js';
import type { Commit } from './commit.js';

export interface ChangeQuery {
  readonly requester?: string | undefined;
  readonly statuses?: readonly ChangeStatus[] | undefined;
  readonly groups?: readonly string[] | undefined;
  /** Changes whose window overlaps [from, to). */
  readonly windowFrom?: Date | undefined;
  readonly windowTo?: Date | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** Fields a write may set; `version` is the store's to increment. */
export type ChangePatch = Partial<Omit<Change, 'code' | 'version' | 'createdAt'>>;

export interface ChangeRepository {
  /** @throws DuplicateKeyError when the code is taken (and writes nothing, the commit neither). */
  create(change: Change, commit?: Commit): Promise<void>;
  findByCode(code: string): Promise<Change | null>;
  /** Newest window first. */
  list(query: ChangeQuery): Promise<Change[]>;
  /**
   * Applies `patch` only if the stored change still has `expectedVersion`; returns the new
   * state, or null when someone else wrote first (re-read and decide again). The commit is
   * written with the change, or not at all.
   */
  update(code: string, expectedVersion: number, patch: ChangePatch, commit?: Commit): Promise<Change | null>;
  /** Monotonic counter for suggested codes (`CHG-<n>`). */
  nextSequence(name: string): Promise<number>;
}
