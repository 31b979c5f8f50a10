import { createHash } from 'node:crypto';
import { canonicalJson } from './canonicalJson.js';

/** S: permitted and done; D: denied (authorisation); F: failed. */
export type AuditStatus = 'S' | 'D' | 'F';

/** Secondary images of a protection record: what it was before and after the change. */
export interface AuditImages {
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What a service says happened; the store seals it into the chain. */
export interface AuditEntry {
  readonly at: Date;
  readonly status: AuditStatus;
  /** What was done: CREATE, APPROVE, REJECT, UPDATE, DELETE, VIEW, EXECUTE, LOCK... */
  readonly eventType: string;
  /** The kind of object acted on: CHANGE, SESSION, COMMAND, RULE, USER... */
  readonly class: string;
  /** Who did it (policy user id, or `system` for scheduled jobs). */
  readonly actor: string;
  /** At which stage the decision was taken, or other context. */
  readonly details?: string | undefined;
  /** Why (a rejection reason, a justification, the refusal message). */
  readonly reason?: string | undefined;
  /** The object's id (change code, rule id, session id). */
  readonly object?: string | undefined;
  /** Where from: Slack, web, proxy client address, cli. */
  readonly terminal?: string | undefined;
  /** The command that was run or requested, when there is one. */
  readonly command?: string | undefined;
  readonly flags?: string | undefined;
  /** The change this record belongs to, for filtering. */
  readonly change?: string | undefined;
  readonly images?: AuditImages | undefined;
}

export interface AuditRecord extends AuditEntry {
  /** 1, 2, 3...: gaps mean deleted records. */
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** The fields that are hashed, in a fixed order; the hash itself is excluded. */
export function canonicalRecord(record: Omit<AuditRecord, 'hash'>): string {
  return canonicalJson([
    record.seq,
    record.at.toISOString(),
    record.status,
    record.eventType,
    record.class,
    record.actor,
    record.details ?? '',
    record.reason ?? '',
    record.object ?? '',
    record.terminal ?? '',
    record.command ?? '',
    record.flags ?? '',
    record.change ?? '',
    record.images ?? null,
    record.prevHash,
  ]);
}

export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalRecord(record), 'utf8').digest('hex');
}

/** Links an entry after `previous` (null for the first record). */
export function sealRecord(entry: AuditEntry, previous: ChainHead | null): AuditRecord {
  const unsealed = {
    ...entry,
    seq: (previous?.seq ?? 0) + 1,
    prevHash: previous?.hash ?? GENESIS_HASH,
  };
  return { ...unsealed, hash: hashRecord(unsealed) };
}
