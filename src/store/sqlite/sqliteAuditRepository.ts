import type { Database } from 'better-sqlite3';
import { sealRecord, type AuditEntry, type AuditRecord, type ChainHead } from '../../domain/audit/auditRecord.js';
import type { AuditQuery, AuditRepository } from '../auditRepository.js';
import { fromDocument, toDocument } from './jsonDocument.js';

export class SqliteAuditRepository implements AuditRepository {
  constructor(private readonly db: Database) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    return this.db.transaction(() => this.appendInTransaction(entry)).immediate();
  }

  /**
   * Seals and stores one record; the caller holds the write transaction (a use case's commit
   * writes its records with its state change). The head row, not max(seq), is what a new
   * record links to: a cut tail then shows as a gap instead of being silently papered over.
   */
  appendInTransaction(entry: AuditEntry): AuditRecord {
    const head = this.readHead();
    const record = sealRecord(entry, head);
    this.db
      .prepare('INSERT INTO audit_records (seq, at, status, event_type, actor, change_code, doc) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(record.seq, record.at.getTime(), record.status, record.eventType, record.actor, record.change ?? null, toDocument(record));
    this.db
      .prepare('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash')
      .run(record.seq, record.hash);
    return record;
  }

  async head(): Promise<ChainHead | null> {
    return this.readHead();
  }

  async list(query: AuditQuery): Promise<{ records: AuditRecord[]; total: number }> {
    const { where, params } = this.filter(query);
    const total = (this.db.prepare(`SELECT count(*) AS n FROM audit_records ${where}`).get(...params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT doc FROM audit_records ${where} ORDER BY seq LIMIT ? OFFSET ?`)
      .all(...params, query.limit ?? -1, query.offset ?? 0) as { doc: string }[];
    return { records: rows.map((r) => fromDocument<AuditRecord>(r.doc)), total };
  }

  async *iterate(query: Omit<AuditQuery, 'limit' | 'offset'> = {}): AsyncIterable<AuditRecord> {
    const { where, params } = this.filter(query);
    // Paged by seq so a long walk neither holds the whole trail nor a read cursor open
    // across awaits (better-sqlite3 forbids writes while an iterator is open).
    const page = 2000;
    let after = 0;
    for (;;) {
      const rows = this.db
        .prepare(`SELECT seq, doc FROM audit_records ${where ? `${where} AND` : 'WHERE'} seq > ? ORDER BY seq LIMIT ?`)
        .all(...params, after, page) as { seq: number; doc: string }[];
      for (const row of rows) yield fromDocument<AuditRecord>(row.doc);
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  async *iterateStored(): AsyncIterable<{ record: AuditRecord; divergent: string[] }> {
    const page = 2000;
    let after = 0;
    for (;;) {
      const rows = this.db
        .prepare('SELECT seq, at, status, event_type, actor, change_code, doc FROM audit_records WHERE seq > ? ORDER BY seq LIMIT ?')
        .all(after, page) as { seq: number; at: number; status: string; event_type: string; actor: string; change_code: string | null; doc: string }[];
      for (const row of rows) {
        const record = fromDocument<AuditRecord>(row.doc);
        const divergent: string[] = [];
        if (row.seq !== record.seq) divergent.push('seq');
        if (row.at !== new Date(record.at).getTime()) divergent.push('at');
        if (row.status !== record.status) divergent.push('status');
        if (row.event_type !== record.eventType) divergent.push('event_type');
        if (row.actor !== record.actor) divergent.push('actor');
        if (row.change_code !== (record.change ?? null)) divergent.push('change_code');
        yield { record, divergent };
      }
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  private readHead(): ChainHead | null {
    const row = this.db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as ChainHead | undefined;
    return row ?? null;
  }

  private filter(query: Omit<AuditQuery, 'limit' | 'offset'>): { where: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      clauses.push(clause);
      params.push(value);
    };
    if (query.since) add('at >= ?', query.since.getTime());
    if (query.until) add('at < ?', query.until.getTime());
    if (query.eventType) add('event_type = ?', query.eventType);
    if (query.status) add('status = ?', query.status);
    if (query.actor) add('actor = ?', query.actor);
    if (query.change) add('change_code = ?', query.change);
    return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }
}
