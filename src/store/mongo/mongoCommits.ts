import type { mongo } from 'mongoose';

type Collection<T extends mongo.Document> = mongo.Collection<T>;
type Document = mongo.Document;
type Filter<T> = mongo.Filter<T>;
import type { AuditEntry } from '../../domain/audit/auditRecord.js';
import type { Commit } from '../commit.js';
import type { OutboxMessage } from '../outboxRepository.js';
import type { MongoAuditRepository } from './mongoAuditRepository.js';
import type { MongoOutboxRepository } from './mongoOutboxRepository.js';

/**
 * One action, one write, without multi-document transactions (FerretDB 1.x has none, and a
 * standalone MongoDB neither): a use case's commit (its audit entries and outbox rows) is
 * pushed onto the very document whose state it describes, in the same single-document write
 * (`findOneAndUpdate`, `insertOne`, `updateOne`), so the state and its commit land together or
 * not at all. The relay then moves each commit to the audit chain and the outbox and pulls it
 * off the document: idempotently (an audit record carries `_id` = `<commit>#<n>`, an outbox row
 * its unique id, so relaying twice writes once) and in order per document (commits are
 * relayed oldest first; a later one waits for the one before). The writing repository relays
 * at once; every process relays whatever is left at start and every few seconds, so a crash
 * between the write and the relay delays records and notifications, never loses them.
 *
 * Deletions keep the document as a tombstone (`removedAt`) carrying the deletion's commit;
 * readers skip tombstones, and the relay removes one once its commits are relayed.
 */
export interface StoredCommit {
  readonly id: string;
  readonly at: Date;
  /** JSON: entries and rows are kept as text, so no key a document may not hold reaches the server. */
  readonly audit: string;
  readonly outbox: string;
  /** Idempotent follow-ups on other documents, applied by the relay (a lock ends the user's web sessions). */
  readonly effects?: readonly CommitEffect[] | undefined;
}

export type CommitEffect = { readonly kind: 'endWebSessions'; readonly user: string; readonly at: Date };

/** The fields a document that carries commits holds besides its state. */
export const COMMIT_FIELDS = ['pendingCommits', 'pendingCommitCount', 'removedAt'] as const;

export function storedCommit(commit: Commit, effects?: readonly CommitEffect[]): StoredCommit {
  return {
    id: commit.id,
    at: commit.at,
    audit: JSON.stringify(commit.audit),
    outbox: JSON.stringify(commit.outbox),
    ...(effects && effects.length > 0 && { effects }),
  };
}

/** The update operators that add a commit to a document (nothing when there is none). */
export function pushCommit(commit: Commit | undefined, effects?: readonly CommitEffect[]): { $push?: Document; $inc?: Document } {
  if (!commit) return {};
  return { $push: { pendingCommits: storedCommit(commit, effects) }, $inc: { pendingCommitCount: 1 } };
}

/** The fields a new document starts with when it is inserted with its commit. */
export function withCommit<T extends object>(doc: T, commit: Commit | undefined, effects?: readonly CommitEffect[]): T {
  if (!commit) return doc;
  return { ...doc, pendingCommits: [storedCommit(commit, effects)], pendingCommitCount: 1 };
}

/** A document whose commits are all relayed (or that never had any). */
export const NO_COMMITS_LEFT = { $or: [{ pendingCommitCount: { $exists: false } }, { pendingCommitCount: { $lte: 0 } }] };

/** Readers never see tombstones. */
export const LIVE: Filter<Document> = { removedAt: { $exists: false } };

const AUDIT_DATES = new Set(['at']);
const OUTBOX_DATES = new Set(['nextAttemptAt', 'createdAt', 'updatedAt', 'claimedUntil', 'deliveredAt']);

function revive<T>(text: string, dates: ReadonlySet<string>): T {
  return JSON.parse(text, (key, value: unknown) => (dates.has(key) && typeof value === 'string' ? new Date(value) : value)) as T;
}

export interface RelaySource {
  readonly name: string;
  readonly collection: Collection<Document>;
}

export class MongoCommitRelay {
  private readonly sources = new Map<string, RelaySource>();

  constructor(
    private readonly audit: MongoAuditRepository,
    private readonly outbox: MongoOutboxRepository,
    private readonly webSessions: (user: string, at: Date) => Promise<void>,
  ) {}

  register(source: RelaySource): void {
    this.sources.set(source.name, source);
  }

  /** Relays the commits of one document, oldest first; returns how many it moved. */
  async relayDocument(sourceName: string, id: unknown): Promise<number> {
    const source = this.sources.get(sourceName);
    if (!source) throw new Error(`no commit source ${sourceName}`);
    let moved = 0;
    for (;;) {
      const doc = await source.collection.findOne({ _id: id } as Filter<Document>, { projection: { pendingCommits: 1, pendingCommitCount: 1, removedAt: 1 } });
      if (!doc) return moved;
      const commit = (doc.pendingCommits as StoredCommit[] | undefined)?.[0];
      if (!commit) {
        // A tombstone whose commits are all relayed has said what it had to say.
        if (doc.removedAt !== undefined) await source.collection.deleteOne({ _id: id, removedAt: { $exists: true }, ...NO_COMMITS_LEFT } as Filter<Document>);
        return moved;
      }
      await this.apply(commit);
      // Taken off only while it is still the oldest: two relayers of one document remove it once.
      // ($pop, not $pull by id: FerretDB 1.x does not pull by a condition on array elements.)
      await source.collection.updateOne({ _id: id, 'pendingCommits.0.id': commit.id } as Filter<Document>, { $pop: { pendingCommits: -1 }, $inc: { pendingCommitCount: -1 } } as Document);
      moved++;
    }
  }

  /** Every document of every source with commits left (after a crash, or another process's). */
  async relayAll(): Promise<number> {
    let moved = 0;
    for (const source of this.sources.values()) {
      const pending = await source.collection.find({ pendingCommitCount: { $gt: 0 } }, { projection: { _id: 1 } }).toArray();
      for (const { _id } of pending) moved += await this.relayDocument(source.name, _id);
    }
    return moved;
  }

  private async apply(commit: StoredCommit): Promise<void> {
    const entries = revive<AuditEntry[]>(commit.audit, AUDIT_DATES);
    for (const [index, entry] of entries.entries()) await this.audit.appendOnce(`${commit.id}#${index}`, entry);
    for (const row of revive<OutboxMessage[]>(commit.outbox, OUTBOX_DATES)) await this.outbox.enqueue(row);
    for (const effect of commit.effects ?? []) {
      if (effect.kind === 'endWebSessions') await this.webSessions(effect.user, new Date(effect.at));
    }
  }
}

/** Update documents merged operator by operator (a patch's `$set`, a version's `$inc`, a commit's `$push`). */
export function mergeUpdates(...updates: readonly Document[]): Document {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const update of updates) {
    for (const [operator, fields] of Object.entries(update)) merged[operator] = { ...(merged[operator] ?? {}), ...(fields as Record<string, unknown>) };
  }
  return merged;
}

/** Relays a document's commits right after its write; a failure leaves them to the periodic relay. */
export async function relaySoon(relay: MongoCommitRelay | undefined, source: string, id: unknown): Promise<void> {
  if (!relay || id === undefined) return;
  try {
    await relay.relayDocument(source, id);
  } catch {
    // Durable with the state already: every process's relay loop retries it.
  }
}
