import type { DeviationRequest, DeviationStatus } from '../domain/deviation/deviationRequest.js';
import type { Commit } from './commit.js';

export type DeviationPatch = Pick<DeviationRequest, 'status'> & Partial<Pick<DeviationRequest, 'decidedBy' | 'decidedAt'>>;

/**
 * Deviation requests (domain/deviation). The store is where the proxy session waiting on one
 * and the process deciding it (Slack, the web) meet: a decision is one conditional write, so
 * an approver's click, the timeout and the user's Ctrl-C settle a request exactly once.
 */
export interface DeviationRepository {
  /** Stores a new request with its commit (the REQUEST record and the thread post). */
  create(request: DeviationRequest, commit?: Commit): Promise<void>;
  findById(id: string): Promise<DeviationRequest | null>;
  /** A change's requests, oldest first. */
  listByChange(changeCode: string): Promise<DeviationRequest[]>;
  /** Applies `patch` (and writes the commit) only while the request is `expected`; null otherwise. */
  settle(id: string, expected: DeviationStatus, patch: DeviationPatch, commit?: Commit): Promise<DeviationRequest | null>;
}
