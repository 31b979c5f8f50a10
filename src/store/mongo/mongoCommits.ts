import type { Model } from 'mongoose';
import type { AuditEntry } from '../../domain/audit/auditRecord.js';
import type { Commit } from '../commit.js';
import type { OutboxMessage } from '../outboxRepository.js';
import type { MongoAuditRepository } from './mongoAuditRepository.js';
import type { MongoOutboxRepository } from './mongoOutboxRepository.js';
import type { RelayMarkerDoc } from './revisionedCollection.js';

/**
 * One action, one write, without multi-document transactions (FerretDB 1.x has none, and a
 * standalone MongoDB neither): a use case's commit (its audit entries and outbox rows) is
 * stored in the very revision that holds the state it describes (revisionedCollection.ts: one
 * insert, the only write FerretDB makes atomic), so the state and its commit land together or
 * not at all. The relay then moves each commit to the audit chain and the outbox and takes it
 * off with the entity's next revision: idempotently (an audit record carries `_id` =
 * `<commit>#<n>`, an outbox row its unique id, so relaying twice writes once) and in order per
 * entity (oldest first; a later one waits for the one before). The writing repository relays at
 * once; a relay marker, inserted before the write, names each revision written with a commit,
 * and every process relays what the markers name at start and every few seconds, so a crash
 * between the write and the relay delays records and notifications, never loses them.
 *
 * A deletion with a commit stores a tombstone (`removedAt`) carrying it; readers see nothing,
 * and the relay deletes it once its commits are relayed.
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

/** A commit as a revision stores it (undefined: none). */
export function storedCommit(commit: Commit | undefined, effects?: readonly CommitEffect[]): StoredCommit | undefined {
  if (!commit) return undefined;
  return {
    id: commit.id,
    at: commit.at,
    audit: JSON.stringify(commit.audit),
    outbox: JSON.stringify(commit.outbox),
    ...(effects && effects.length > 0 && { effects }),
  };
}

const AUDIT_DATES = new Set(['at']);
const OUTBOX_DATES = new Set(['nextAttemptAt', 'createdAt', 'updatedAt', 'claimedUntil', 'deliveredAt']);

function revive<T>(text: string, dates: ReadonlySet<string>): T {
  return JSON.parse(text, (key, value: unknown) => (dates.has(key) && typeof value === 'string' ? new Date(value) : value)) as T;
}

/**
 * Where the relay finds commits: the revisioned collections (revisionedCollection.ts), and
 * the commands (mongoCommandCommits.ts), each written once with its EXECUTE record.
 */
export interface CommitSource {
  /** The marker kind of its writes (`change`, `session`, `command`, ...). */
  readonly kind: string;
  /** The commits of `key` not yet relayed, oldest first, and the revision they were read at. */
  pendingCommits(key: string): Promise<{ readonly rev: number; readonly commits: readonly StoredCommit[] }>;
  /** Takes a relayed commit off `key` (once, however many relayers). */
  takeRelayed(key: string, commitId: string): Promise<void>;
  /** Removes the markers of `key` up to revision `rev`, once its commits are relayed. */
  settleMarkers(key: string, rev: number): Promise<void>;
  /** Relays (through `relay`) the entities `markers` name and settles the markers. */
  relayMarked(markers: readonly RelayMarkerDoc[], relay: (key: string) => Promise<void>, now: Date): Promise<void>;
}

export class MongoCommitRelay {
  private readonly sources = new Map<string, CommitSource>();

  constructor(
    private readonly markers: Model<RelayMarkerDoc>,
    private readonly audit: MongoAuditRepository,
    private readonly outbox: MongoOutboxRepository,
    private readonly webSessions: (user: string, at: Date) => Promise<void>,
  ) {}

  register(source: CommitSource): void {
    this.sources.set(source.kind, source);
  }

  /** Relays the commits of one entity, oldest first; returns how many it moved. */
  async relayEntity(kind: string, key: string): Promise<number> {
    const source = this.sources.get(kind);
    if (!source) throw new Error(`no commit source ${kind}`);
    let moved = 0;
    for (;;) {
      const { rev, commits } = await source.pendingCommits(key);
      const commit = commits[0];
      if (!commit) {
        await source.settleMarkers(key, rev);
        return moved;
      }
      await this.apply(commit);
      await source.takeRelayed(key, commit.id);
      moved++;
    }
  }

  /** Every entity a relay marker names (a crashed writer's, or another process's in flight). */
  async relayAll(): Promise<number> {
    const markers = await this.markers.find({}).lean<RelayMarkerDoc[]>();
    let moved = 0;
    const now = new Date();
    for (const [kind, source] of this.sources) {
      const mine = markers.filter((marker) => marker.kind === kind);
      if (mine.length === 0) continue;
      await source.relayMarked(mine, async (key) => {
        moved += await this.relayEntity(kind, key);
      }, now);
    }
    return moved;
  }

  /**
   * Appends a commit its writer has just stored with a write that is never revised (a judged
   * command), straight from memory, without reading it back. False when that failed: its
   * marker stays, and with it the commit, for the relay loop.
   */
  async relayWritten(commit: StoredCommit): Promise<boolean> {
    try {
      await this.apply(commit, { fresh: true });
      return true;
    } catch {
      return false;
    }
  }

  private async apply(commit: StoredCommit, options: { readonly fresh?: boolean } = {}): Promise<void> {
    const entries = revive<AuditEntry[]>(commit.audit, AUDIT_DATES);
    await Promise.all(entries.map((entry, index) => this.audit.appendOnce(`${commit.id}#${index}`, entry, options)));
    for (const row of revive<OutboxMessage[]>(commit.outbox, OUTBOX_DATES)) await this.outbox.enqueue(row);
    for (const effect of commit.effects ?? []) {
      if (effect.kind === 'endWebSessions') await this.webSessions(effect.user, new Date(effect.at));
    }
  }
}

/** Relays an entity's commits right after its write; a failure leaves them to the periodic relay. */
export async function relaySoon(relay: MongoCommitRelay | undefined, kind: string, key: string): Promise<void> {
  if (!relay) return;
  try {
    await relay.relayEntity(kind, key);
  } catch {
    // Durable with the state already, and marked: every process's relay loop retries it.
  }
}
