import type { Model } from 'mongoose';
import type { CommitSource, StoredCommit } from './mongoCommits.js';
import { isDuplicateKey } from './mongoDocument.js';

/**
 * One revision of one entity. `_id` is `<kind>/<key>#<rev>`, so exactly one writer can make
 * revision N of an entity: the unique `_id` decides, whatever the server does about
 * concurrent updates. `doc` is the entity as stored after that write (null: deleted).
 */
export interface RevisionDoc {
  readonly _id: string;
  readonly kind: string;
  readonly key: string;
  readonly rev: number;
  readonly doc: Record<string, unknown> | null;
  readonly at: Date;
}

/** The listing copy's revision. */
export const REVISION_FIELD = '_rev';
/** Marks the listing copy of a deleted entity (kept, so the next revision number is known). */
export const DELETED_FIELD = '_deleted';

/**
 * What a revision carries besides the entity's state (mongoCommits.ts): the commits written
 * with it and not yet relayed, and `removedAt` on a deleted entity whose deletion's commit
 * still is (a tombstone: readers see nothing, the relay deletes it once relayed).
 */
interface Bookkeeping {
  readonly pendingCommits?: readonly StoredCommit[];
  readonly pendingCommitCount?: number;
  readonly removedAt?: Date;
}

/**
 * Names a revision that a writer is about to insert with a commit, before it tries: a writer
 * that dies between its insert and the relay leaves it behind, and every process's relay
 * loop finds the commit through it (revisionedCollection.ts, `relayMarked`).
 */
export interface RelayMarkerDoc {
  readonly _id: string;
  readonly kind: string;
  readonly key: string;
  readonly rev: number;
  readonly at: Date;
}

/** How long a marker may name a revision that nobody wrote before its number is taken from the writer. */
export const STALE_MARKER_MS = 30_000;

/** What `decide` answers: the entity's next state, `null` to delete it, `undefined` to leave it. */
export type Decision<D> = D | null | undefined;

export type WriteOutcome<D> =
  | { readonly written: true; readonly doc: D | null }
  /** `decide` left it as it was (`current` is what it saw, null: it does not exist). */
  | { readonly written: false; readonly current: D | null };

const MAX_ATTEMPTS = 50;

/**
 * Conditional writes that hold on any MongoDB-wire server, including FerretDB 1.x, whose
 * `findAndModify` and `update` read the document and then write it back by `_id` with no
 * check in between: two `findOneAndUpdate({ version: 3 }, ...)` racing there both succeed
 * (measured: 194 double wins in 200 races). The only writes such a server makes atomic are
 * inserts against a unique index. So every conditional write here is the insert of the
 * entity's next revision (see RevisionDoc): the writer that inserts revision N + 1 won, the
 * others get a duplicate key, re-read and decide again.
 *
 * Each entity also has one "listing copy" in its own collection (with its revision in
 * `_rev`): what queries filter, sort and page. It is brought up to the latest revision after
 * each write, never moved backwards, and repaired by the next reader or writer when a process
 * died between the two writes. Point reads (`current`) start from the listing copy and look
 * for later revisions by `_id` (usually one lookup that finds nothing), so they always see
 * the latest revision; lists may lag a write by that moment, never lose it.
 *
 * Revisions are kept: they are the entity's history. Pruning them while writers run would
 * let a stale writer reuse a number, so it is left to the operator, for entities that no
 * longer change (docs/OPERATIONS.md).
 *
 * One revision document is also the unit a use case makes atomic on its own: a write given a
 * commit (a use case's audit records and notifications) stores it in the revision beside the
 * state it describes, so both land together or not at all, without a transaction; the relay
 * (mongoCommits.ts) moves it on and takes it off with a later revision. Before such a write,
 * a relay marker names the revision (RelayMarkerDoc), so a commit whose writer died before
 * relaying it is found without scanning the history.
 */
export class RevisionedCollection<D extends Record<string, unknown>> implements CommitSource {
  constructor(
    private readonly revisions: Model<RevisionDoc>,
    private readonly listing: Model<D>,
    /** Names the entity type in revision ids: `change`, `session`, ... */
    readonly kind: string,
    /** The listing copy's unique key field (`code`, `id`, `_id`, ...). */
    private readonly keyField: string,
    /**
     * New listing copies take the key as their `_id` too, so finding one is an `_id` lookup:
     * the only query FerretDB 1.x answers without scanning the collection (measured: 11 ms
     * against 140 ms for an indexed field, at 5,000 documents). Worth it where writes are
     * frequent (the outbox); copies written before keep their ObjectId and are found by key.
     */
    private readonly options: { readonly idIsKey?: boolean } = {},
    /** Relay markers (RelayMarkerDoc); needed by collections whose writes carry commits. */
    private readonly markers?: Model<RelayMarkerDoc>,
  ) {}

  /** The listing copies' collection, for queries (deleted entities' copies carry `_deleted`). */
  get listingModel(): Model<D> {
    return this.listing;
  }

  /** The entity as its latest revision has it (null: it does not exist, or was deleted). */
  async current(key: string): Promise<{ readonly rev: number; readonly doc: D | null }> {
    const { rev, doc } = await this.latest(key);
    return { rev, doc: stateOf(doc) as D | null };
  }

  /** The commits of the latest revision not yet relayed, oldest first. */
  async pendingCommits(key: string): Promise<{ readonly rev: number; readonly commits: readonly StoredCommit[] }> {
    const { rev, doc } = await this.latest(key);
    return { rev, commits: (doc as Bookkeeping | null)?.pendingCommits ?? [] };
  }

  /**
   * Takes `commitId` off the entity once relayed, if it is still the oldest pending one (two
   * relayers take it off once); a tombstone with nothing left to relay is deleted.
   */
  async takeRelayed(key: string, commitId: string): Promise<void> {
    await this.writeRaw(key, (raw) => {
      const pending = (raw as Bookkeeping | null)?.pendingCommits ?? [];
      if (raw === null || pending[0]?.id !== commitId) return undefined;
      const rest = pending.slice(1);
      if (rest.length === 0 && (raw as Bookkeeping).removedAt !== undefined) return null;
      const { pendingCommits, pendingCommitCount, ...state } = raw as Bookkeeping & Record<string, unknown>;
      return (rest.length === 0 ? state : { ...state, pendingCommits: rest, pendingCommitCount: rest.length }) as D;
    });
  }

  /** The latest revision as stored, bookkeeping included. */
  private async latest(key: string): Promise<{ readonly rev: number; readonly doc: D | null }> {
    const listed = await this.findListed(key);
    let rev = listed && typeof listed[REVISION_FIELD] === 'number' ? (listed[REVISION_FIELD] as number) : 0;
    // A listing copy without a revision was written before revisions were kept: it is revision 0.
    let doc = listed && listed[DELETED_FIELD] !== true ? (this.entityOf(listed) as D) : null;
    if (listed && listed[DELETED_FIELD] === true && rev > 0) {
      // The listing keeps only the key of a deleted entity: a tombstone's commits are in its revision.
      const revision = await this.revisions.collection.findOne({ _id: this.revisionId(key, rev) } as never);
      doc = (revision?.doc as D | null | undefined) ?? null;
    }
    for (;;) {
      const next = await this.revisions.collection.findOne({ _id: this.revisionId(key, rev + 1) } as never);
      if (!next) return { rev, doc };
      rev = next.rev;
      doc = next.doc as D | null;
    }
  }

  /**
   * Inserts a new entity; false when the key, or another unique field of the listing (an
   * outbox message's dedupe key), is taken. The listing copy goes first: its unique indexes
   * are what refuses a duplicate. A deleted entity's key may be used again.
   */
  async insert(key: string, doc: D, commit?: StoredCommit): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (commit) await this.mark(key, 1);
      const first = withPending(doc, null, commit);
      try {
        await this.listing.collection.insertOne({ ...this.idFor(key), ...this.listingBody(key, first), [REVISION_FIELD]: 1 } as never);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const now = await this.latest(key);
        // Taken by a live entity, or refused by another unique field (no entity has this key).
        if (stateOf(now.doc) !== null || now.rev === 0) return false;
        // A deleted entity's key: the new one is its next revision (after a tombstone's commits).
        if (commit) await this.mark(key, now.rev + 1);
        if (await this.commit(key, now.rev + 1, withPending(doc, now.doc, commit))) return true;
        continue;
      }
      try {
        await this.insertRevision(key, 1, first);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        throw new Error(`${this.kind} ${key}: revision 1 exists although the key had no listing copy; the listing was altered outside changeguard`);
      }
      return true;
    }
    throw new Error(`${this.kind} ${key}: could not be inserted after ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * Reads the entity, asks `decide` what it becomes, and writes that as its next revision.
   * When another writer got there first, re-reads and decides again on what it wrote.
   * `decide` sees null when the entity does not exist; answering a document then creates it.
   */
  async write(key: string, decide: (current: D | null) => Decision<D>, commit?: StoredCommit): Promise<WriteOutcome<D>> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { rev, doc: raw } = await this.latest(key);
      const doc = stateOf(raw) as D | null;
      const next = decide(doc);
      if (next === undefined || (next === null && doc === null)) return { written: false, current: doc };
      if (commit) await this.mark(key, rev + 1);
      if (await this.commit(key, rev + 1, withPending(next, raw, commit))) return { written: true, doc: next };
    }
    throw new Error(`${this.kind} ${key}: gave up after ${MAX_ATTEMPTS} conflicting writes`);
  }

  /** As `write`, on the stored document itself (bookkeeping included): the relay's own writes. */
  private async writeRaw(key: string, decide: (raw: D | null) => Decision<D>): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { rev, doc } = await this.latest(key);
      const next = decide(doc);
      if (next === undefined || (next === null && doc === null)) return;
      if (await this.commit(key, rev + 1, next)) return;
    }
    throw new Error(`${this.kind} ${key}: gave up after ${MAX_ATTEMPTS} conflicting writes`);
  }

  private async mark(key: string, rev: number): Promise<void> {
    if (!this.markers) throw new Error(`${this.kind}: writes with a commit need the relay markers`);
    try {
      await this.markers.collection.insertOne({ _id: this.revisionId(key, rev), kind: this.kind, key, rev, at: new Date() } as never);
    } catch (error) {
      // Marked by a rival writer of the same revision: the mark names it either way.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /**
   * Settles this collection's relay markers (`markers`: all of them for this kind): the
   * entity of a marker whose revision exists is relayed (`relay`), then the marker removed;
   * a marker older than STALE_MARKER_MS whose revision nobody wrote (its writer died before
   * inserting it) has that revision number taken by a copy of the one before, so a writer
   * still holding it on to it can only lose and retry after, with a marker of its own.
   */
  async relayMarked(markers: readonly RelayMarkerDoc[], relay: (key: string) => Promise<void>, now: Date): Promise<void> {
    const byKey = new Map<string, RelayMarkerDoc[]>();
    for (const marker of markers) byKey.set(marker.key, [...(byKey.get(marker.key) ?? []), marker]);
    for (const [key, marked] of byKey) {
      let { rev, doc } = await this.latest(key);
      for (const marker of marked) {
        if (marker.rev > rev && now.getTime() - marker.at.getTime() > STALE_MARKER_MS && marker.rev === rev + 1) {
          await this.commit(key, marker.rev, doc);
          ({ rev, doc } = await this.latest(key));
        }
      }
      await relay(key);
      // (A stale marker past the next revision names nothing a writer could still insert.)
      const stale = (marker: RelayMarkerDoc) => now.getTime() - marker.at.getTime() > STALE_MARKER_MS && marker.rev > rev + 1;
      const settled = marked.filter((marker) => marker.rev <= rev || stale(marker)).map((marker) => marker._id);
      if (settled.length > 0) await this.markers!.collection.deleteMany({ _id: { $in: settled } } as never);
    }
  }

  /** Removes the markers of `key` up to revision `rev` (its commits are relayed). */
  async settleMarkers(key: string, rev: number): Promise<void> {
    if (!this.markers) return;
    const ids: string[] = [];
    for (let r = rev; r >= 1 && ids.length < 8; r--) ids.push(this.revisionId(key, r));
    await this.markers.collection.deleteMany({ _id: { $in: ids } } as never);
  }

  /** Makes `doc` revision `rev` if nobody has; false (after bringing the listing up to date) when someone has. */
  private async commit(key: string, rev: number, doc: D | null): Promise<boolean> {
    try {
      await this.insertRevision(key, rev, doc);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      // The winner may have died before updating the listing: do it for it.
      await this.project(key, rev, null, { onlyIfNewer: true });
      return false;
    }
    await this.project(key, rev, doc);
    return true;
  }

  private async insertRevision(key: string, rev: number, doc: D | null): Promise<void> {
    const revision: RevisionDoc = { _id: this.revisionId(key, rev), kind: this.kind, key, rev, doc: doc === null ? null : this.entityOf(doc), at: new Date() };
    await this.revisions.collection.insertOne(revision as never);
  }

  /**
   * Puts revision `rev` (then any later one) in the listing unless a later one is there
   * already. A later one is looked for after each write, because on FerretDB a replace is a
   * read then a write and two writers' projections can cross: the listing ends at the latest.
   * `onlyIfNewer`: `doc` is not known, read revision `rev` (a winner's) first.
   */
  private async project(key: string, rev: number, doc: D | null, options: { onlyIfNewer?: boolean } = {}): Promise<void> {
    let known = !options.onlyIfNewer;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (!known) {
        const revision = await this.revisions.collection.findOne({ _id: this.revisionId(key, rev) } as never);
        if (!revision) return;
        doc = revision.doc as D | null;
        known = true;
      }
      const listed = await this.findListed(key);
      const body = this.listingBody(key, doc);
      if (!listed) {
        try {
          await this.listing.collection.insertOne({ ...this.idFor(key), ...body, [REVISION_FIELD]: rev } as never);
        } catch (error) {
          // Listed meanwhile, by the writer of this or a later revision.
          if (!isDuplicateKey(error)) throw error;
        }
      } else if (typeof listed[REVISION_FIELD] !== 'number' || (listed[REVISION_FIELD] as number) < rev) {
        // By `_id` alone (the lookup every server answers from its index); a later revision
        // written meanwhile is found just below and put back.
        await this.listing.collection.replaceOne({ _id: listed._id } as never, { ...body, [REVISION_FIELD]: rev } as never);
      }
      const later = await this.revisions.collection.findOne({ _id: this.revisionId(key, rev + 1) } as never);
      if (!later) return;
      rev = later.rev;
      doc = later.doc as D | null;
    }
  }

  /** What the listing holds for a revision: the entity, or only its key once deleted (also while a tombstone). */
  private listingBody(key: string, doc: D | null): Record<string, unknown> {
    if (doc === null || (doc as Bookkeeping).removedAt !== undefined) return { [this.keyField]: key, [DELETED_FIELD]: true };
    return this.entityOf(doc);
  }

  private async findListed(key: string): Promise<Record<string, unknown> | null> {
    if (this.options.idIsKey) {
      const byId = await this.listing.collection.findOne({ _id: key } as never);
      if (byId) return byId;
    }
    return this.listing.collection.findOne({ [this.keyField]: { $eq: key } });
  }

  private idFor(key: string): Record<string, string> {
    return this.options.idIsKey ? { _id: key } : {};
  }

  private revisionId(key: string, rev: number): string {
    return `${this.kind}/${key}#${rev}`;
  }

  /** The entity without the store's bookkeeping: `_rev`, `_deleted`, and the listing's `_id` unless it is the key. */
  private entityOf(doc: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(doc)) {
      if (field === REVISION_FIELD || field === DELETED_FIELD || (field === '_id' && this.keyField !== '_id')) continue;
      out[field] = value;
    }
    return out;
  }
}

/** The entity a stored revision describes: null for a tombstone, without the commits it carries. */
function stateOf(doc: Record<string, unknown> | null): Record<string, unknown> | null {
  if (doc === null || (doc as Bookkeeping).removedAt !== undefined) return null;
  if (!('pendingCommits' in doc) && !('pendingCommitCount' in doc)) return doc;
  const { pendingCommits, pendingCommitCount, ...state } = doc;
  return state;
}

/**
 * `next` (null: delete) as stored after `raw`, with the commits `raw` still carries and
 * `commit` after them; a deletion that leaves commits to relay is a tombstone.
 */
function withPending<D extends Record<string, unknown>>(next: D | null, raw: D | null, commit: StoredCommit | undefined): D | null {
  const pending = [...((raw as Bookkeeping | null)?.pendingCommits ?? []), ...(commit ? [commit] : [])];
  const state = next === null ? null : (stateOf(next) as D);
  if (pending.length === 0) return state;
  const base = state ?? { ...(stateOf(raw) ?? {}), removedAt: new Date() };
  return { ...base, pendingCommits: pending, pendingCommitCount: pending.length } as unknown as D;
}
