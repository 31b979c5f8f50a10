import type { QueryFilter } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { GENESIS_HASH, sealRecord, type AuditEntry, type AuditRecord, type ChainHead } from '../../domain/audit/auditRecord.js';
import type { AuditQuery, AuditRepository } from '../auditRepository.js';
import { eq, fromStored, isDuplicateKey, page, requireDate, requireString, toStored } from './mongoDocument.js';
import type { AuditHeadDoc, AuditRecordDoc, MongoModels } from './mongoModels.js';

const HEAD_ID = 'audit';
const MAX_APPEND_ATTEMPTS = 50;

/**
 * The chain is kept consistent without a transaction: the unique index on `seq` lets exactly
 * one writer seal each position, and the head document (like the SQLite store's head row, kept
 * apart so a cut tail shows as a gap) only ever moves forward by conditional updates.
 */
export class MongoAuditRepository implements AuditRepository {
  /** The last append of this process: the next one starts after it. */
  private lastAppend: Promise<unknown> = Promise.resolve();

  constructor(private readonly models: Pick<MongoModels, 'auditRecords' | 'auditHeads'>) {}

  /**
   * Appends of one process are queued (they would only race each other for the same seq, and
   * the chain then follows call order, as with the synchronous SQLite store); contention is
   * left to the processes, a handful at most, which the retry loop absorbs.
   */
  append(entry: AuditEntry): Promise<AuditRecord> {
    const append = this.lastAppend.then(() => this.appendNow(entry, undefined));
    this.lastAppend = append.catch(() => undefined);
    return append as Promise<AuditRecord>;
  }

  /**
   * Appends the entry unless a record with this id is in the chain already (a commit relayed
   * twice, by this process or another): the id is the record's `_id`, so two relayers racing
   * for it seal it once. Returns null when it was there.
   */
  appendOnce(id: string, entry: AuditEntry): Promise<AuditRecord | null> {
    const append = this.lastAppend.then(() => this.appendNow(entry, requireString(id)));
    this.lastAppend = append.catch(() => undefined);
    return append;
  }

  private async appendNow(entry: AuditEntry, id: string | undefined): Promise<AuditRecord | null> {
    const sealed = async () => id !== undefined && (await this.models.auditRecords.collection.countDocuments({ _id: id } as never, { limit: 1 })) > 0;
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
      if (await sealed()) return null;
      const head = await this.readHead();
      const record = sealRecord(entry, head);
      try {
        await this.models.auditRecords.collection.insertOne(toStored({ ...(id !== undefined && { _id: id }), ...record }) as never);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        if (await sealed()) return null;
        // The position after the head is taken: another process appended first, or one
        // died between its insert and moving the head. Either way the head can follow it.
        await this.catchUp(head);
        await sleep(Math.random() * Math.min(100, 5 * attempt));
        continue;
      }
      // If this does not match, another process has already moved the head past the record.
      await this.moveHead(head, record);
      return record;
    }
    throw new Error(`audit append gave up after ${MAX_APPEND_ATTEMPTS} attempts: the chain head keeps moving or cannot advance`);
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

  /** Moves the head from `from` (null: no head yet) to `to`, unless someone else moved it. */
  private async moveHead(from: ChainHead | null, to: ChainHead): Promise<void> {
    if (from === null) {
      try {
        await this.models.auditHeads.updateOne(
          { _id: HEAD_ID },
          { $setOnInsert: { seq: to.seq, hash: to.hash } },
          { upsert: true },
        );
      } catch (error) {
        // A concurrent first upsert created it: the head exists, which is all this wanted.
        if (!isDuplicateKey(error)) throw error;
      }
      return;
    }
    await this.models.auditHeads.updateOne({ _id: HEAD_ID, seq: from.seq }, { $set: { seq: to.seq, hash: to.hash } });
  }

  /** Advances the head to the record already sealed after it, if that record links to it. */
  private async catchUp(head: ChainHead | null): Promise<void> {
    const seq = (head?.seq ?? 0) + 1;
    const next = await this.models.auditRecords.findOne({ seq }).lean<AuditRecordDoc>();
    if (!next) return;
    if (next.prevHash !== (head?.hash ?? GENESIS_HASH)) {
      // Re-read: the head may have moved since `head` was read, which is not a fault.
      const current = await this.readHead();
      if (current?.seq === head?.seq && current?.hash === head?.hash) {
        throw new Error(
          `audit chain inconsistent: record ${seq} exists but does not link to the head (seq ${head?.seq ?? 0}); appends are refused until it is investigated`,
        );
      }
      return;
    }
    await this.moveHead(head, { seq: next.seq, hash: next.hash });
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
