import type { QueryFilter } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { GENESIS_HASH, sealRecord, type AuditEntry, type AuditRecord, type ChainHead } from '../../domain/audit/auditRecord.js';
import type { AuditQuery, AuditRepository } from '../auditRepository.js';
import { eq, fromStored, isDuplicateKey, page, requireDate, requireString, toStored } from './mongoDocument.js';
import type { AuditHeadDoc, AuditRecordDoc, MongoModels } from './mongoModels.js';

const HEAD_ID = 'audit';
const MAX_APPEND_ATTEMPTS = 50;
/** Records sealed and inserted together when appends queue up. */
const MAX_BATCH = 200;

interface PendingAppend {
  readonly entry: AuditEntry;
  /** Set for a relayed commit's record: appended at most once under this `_id`. */
  readonly id: string | undefined;
  /** Its writer has just stored the commit: the first try skips looking for the id (see appendOnce). */
  readonly fresh: boolean;
  readonly resolve: (record: AuditRecord | null) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The chain is kept consistent without a transaction: the unique index on `seq` lets exactly
 * one writer seal each position, and the head document (like the SQLite store's head row, kept
 * apart so a cut tail shows as a gap) only ever moves forward.
 *
 * Appends of one process are sealed in call order (as the synchronous SQLite store chains
 * them) on the head this process last wrote, and those that queue up while a write is in
 * flight go out together: one `insertMany` and one move of the head for the lot. Under load
 * that is what keeps the proxy, which records every judged command, from waiting on one
 * round trip after another (on FerretDB, three per record took the chain to ~20 records/s).
 * Another process having appended shows as a duplicate `seq`: what of the batch landed is
 * kept, the head is caught up and the rest sealed again after it.
 */
export class MongoAuditRepository implements AuditRepository {
  private readonly pending: PendingAppend[] = [];
  private draining = false;
  /** The chain's end as this process last wrote or found it; undefined: read it first. */
  private knownHead: ChainHead | null | undefined;

  constructor(private readonly models: Pick<MongoModels, 'auditRecords' | 'auditHeads'>) {}

  append(entry: AuditEntry): Promise<AuditRecord> {
    return this.enqueue(entry, undefined, false) as Promise<AuditRecord>;
  }

  /**
   * Appends the entry unless a record with this id is in the chain already (a commit relayed
   * twice, by this process or another): the id is the record's `_id`, so two relayers racing
   * for it seal it once. Returns null when it was there.
   *
   * `fresh`: the writer relays a commit it has just stored (a judged command's record, once
   * per command), so the id is almost surely not sealed yet, and the first try goes straight
   * to the insert: the unique `_id` still refuses a second copy, and the retry looks the id up.
   * Looking it up first costs a read of the audit collection that FerretDB answers by
   * scanning it (an `_id` `$in`: measured 104 ms at 1,000 records, against 0.6 ms for an insert).
   */
  appendOnce(id: string, entry: AuditEntry, options: { readonly fresh?: boolean } = {}): Promise<AuditRecord | null> {
    return this.enqueue(entry, requireString(id), options.fresh === true);
  }

  private enqueue(entry: AuditEntry, id: string | undefined, fresh: boolean): Promise<AuditRecord | null> {
    return new Promise<AuditRecord | null>((resolve, reject) => {
      this.pending.push({ entry, id, fresh, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const records = await this.appendBatch(batch);
          batch.forEach((p, i) => p.resolve(records[i]!));
        } catch (error) {
          // The chain's end is unknown after a failure (the store may be unreachable).
          this.knownHead = undefined;
          batch.forEach((p) => p.reject(error));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Seals the batch in order; an entry whose id is sealed already (by anyone) comes back null. */
  private async appendBatch(batch: readonly PendingAppend[]): Promise<(AuditRecord | null)[]> {
    const results: (AuditRecord | null | undefined)[] = batch.map(() => undefined);
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
      const sealedIds = await this.sealedIds(batch.filter((p, i) => results[i] === undefined && p.id !== undefined && (attempt > 1 || !p.fresh)).map((p) => p.id!));
      batch.forEach((p, i) => {
        if (results[i] === undefined && p.id !== undefined && sealedIds.has(p.id)) results[i] = null;
      });
      const todo = batch.map((p, i) => ({ p, i })).filter(({ i }) => results[i] === undefined);
      if (todo.length === 0) return results as (AuditRecord | null)[];
      const head = this.knownHead !== undefined ? this.knownHead : await this.chainEnd(await this.readHead());
      const sealed: AuditRecord[] = [];
      for (const { p } of todo) sealed.push(sealRecord(p.entry, sealed.at(-1) ?? head));
      try {
        await this.models.auditRecords.collection.insertMany(
          sealed.map((record, n) => toStored({ ...(todo[n]!.p.id !== undefined && { _id: todo[n]!.p.id }), ...record }) as never),
          { ordered: true },
        );
        todo.forEach(({ i }, n) => (results[i] = sealed[n]!));
        this.knownHead = { seq: sealed.at(-1)!.seq, hash: sealed.at(-1)!.hash };
        await this.moveHeadTo(this.knownHead);
        return results as (AuditRecord | null)[];
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      // A position (or an id) was taken by another process, or by one that died before moving
      // the head: keep what of ours landed (inserts are ordered, so a prefix), then start after
      // the end; ids sealed meanwhile by another relayer are found at the top of the loop.
      const landed = await this.landedPrefix(sealed);
      landed.forEach((record, n) => (results[todo[n]!.i] = record));
      const last = landed.at(-1);
      this.knownHead = await this.chainEnd(last ? { seq: last.seq, hash: last.hash } : head);
      if (last) await this.moveHeadTo({ seq: last.seq, hash: last.hash });
      if (results.every((r) => r !== undefined)) return results as (AuditRecord | null)[];
      await sleep(Math.random() * Math.min(100, 5 * attempt));
    }
    throw new Error(`audit append gave up after ${MAX_APPEND_ATTEMPTS} attempts: the chain head keeps moving or cannot advance`);
  }

  /** The records of `sealed` found in the store as sealed, from the first on. */
  /** Those of `ids` already sealed as records' `_id`s. */
  private async sealedIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const docs = await this.models.auditRecords.collection.find({ _id: { $in: ids } } as never, { projection: { _id: 1 } }).toArray();
    return new Set(docs.map((doc) => String(doc._id)));
  }

  private async landedPrefix(sealed: readonly AuditRecord[]): Promise<AuditRecord[]> {
    const landed: AuditRecord[] = [];
    for (const record of sealed) {
      const stored = await this.models.auditRecords.findOne({ seq: record.seq }).select({ hash: 1 }).lean<{ hash: string }>();
      if (stored?.hash !== record.hash) break;
      landed.push(record);
    }
    return landed;
  }

  /**
   * Follows the chain from `from` through the records already sealed after it (another
   * process's appends, or a head a dead process left behind), moving the head along.
   */
  private async chainEnd(from: ChainHead | null): Promise<ChainHead | null> {
    let end = from;
    for (;;) {
      const next = await this.models.auditRecords.findOne({ seq: (end?.seq ?? 0) + 1 }).lean<AuditRecordDoc>();
      if (!next) break;
      if (next.prevHash !== (end?.hash ?? GENESIS_HASH)) {
        throw new Error(
          `audit chain inconsistent: record ${next.seq} exists but does not link to record ${end?.seq ?? 0}; appends are refused until it is investigated`,
        );
      }
      end = { seq: next.seq, hash: next.hash };
    }
    if (end && end.seq !== from?.seq) await this.moveHeadTo(end);
    return end;
  }

  async head(): Promise<ChainHead | null> {
    return this.readHead();
  }

  async list(query: AuditQuery): Promise<{ records: AuditRecord[]; total: number }> {
    const filter = this.filter(query);
    const total = await this.models.auditRecords.countDocuments(filter);
    const rows = page(query.limit, query.offset);
    if (rows === 'none') return { records: [], total };
    const docs = await this.models.auditRecords
      .find(filter)
      .sort({ seq: 1 })
      .skip(rows.skip)
      .limit(rows.limit)
      .lean<AuditRecordDoc[]>();
    return { records: docs.map((doc) => fromStored(doc)), total };
  }

  async *iterate(query: Omit<AuditQuery, 'limit' | 'offset'> = {}): AsyncIterable<AuditRecord> {
    const cursor = this.models.auditRecords.find(this.filter(query)).sort({ seq: 1 }).lean<AuditRecordDoc[]>().cursor({ batchSize: 1000 });
    try {
      for await (const doc of cursor) yield fromStored(doc as AuditRecordDoc);
    } finally {
      // Also when the caller stops early: the server-side cursor is released now, not at timeout.
      await cursor.close();
    }
  }

  /** The document is the record: queries filter on its own fields, so nothing is kept twice. */
  async *iterateStored(): AsyncIterable<{ record: AuditRecord; divergent: string[] }> {
    for await (const record of this.iterate()) yield { record, divergent: [] };
  }

  private async readHead(): Promise<ChainHead | null> {
    const doc = await this.models.auditHeads.findOne({ _id: HEAD_ID }).lean<AuditHeadDoc>();
    return doc ? { seq: doc.seq, hash: doc.hash } : null;
  }

  /**
   * Moves the head forward to `to`, never back: a head already past it stays. (On FerretDB
   * the conditional update is a read then a write, so two moves can cross and leave the head
   * behind the last record: verification accepts a head that lags, and the next append
   * catches it up.)
   */
  private async moveHeadTo(to: ChainHead): Promise<void> {
    try {
      await this.models.auditHeads.updateOne({ _id: HEAD_ID, seq: { $lt: to.seq } }, { $set: { seq: to.seq, hash: to.hash } }, { upsert: true });
    } catch (error) {
      // The head exists and is at or past `to`: the upsert found nothing to update and could
      // not insert a second head.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /** Built from typed values only, so no caller-supplied operator can reach the query. */
  private filter(query: Omit<AuditQuery, 'limit' | 'offset'>): QueryFilter<AuditRecordDoc> {
    const filter: QueryFilter<AuditRecordDoc> = {};
    // Truthiness, not `!== undefined`, as in the SQLite store: an empty string filters nothing.
    if (query.since || query.until) {
      filter.at = {
        ...(query.since ? { $gte: requireDate(query.since) } : {}),
        ...(query.until ? { $lt: requireDate(query.until) } : {}),
      };
    }
    if (query.eventType) filter.eventType = eq(query.eventType);
    if (query.status) filter.status = eq(query.status);
    if (query.actor) filter.actor = eq(query.actor);
    if (query.change) filter.change = eq(query.change);
    return filter;
  }
}
