import type { Database } from 'better-sqlite3';
import type { AuditRecord } from '../../domain/audit/auditRecord.js';
import type { SiemFeedItem } from '../../domain/siem/siemEvent.js';
import type { SiemClaimRequest, SiemFeedRepository, SiemSinkStatus } from '../siemFeedRepository.js';
import { fromDocument } from './jsonDocument.js';

interface CursorRow {
  sink: string;
  delivered_pos: number;
  failures: number;
  next_attempt_at: number;
  last_error: string | null;
  claimed_by: string | null;
  claimed_until: number | null;
  last_delivered_at: number | null;
}

interface FeedRow {
  pos: number;
  audit_doc: string | null;
  alert_id: string | null;
  alert_type: string | null;
  alert_text: string | null;
  alert_payload: string | null;
  alert_created_at: number | null;
}

/** The feed is filled by triggers (migration 008-siem-feed); this reads it and moves the cursors. */
export class SqliteSiemFeedRepository implements SiemFeedRepository {
  constructor(private readonly db: Database) {}

  async register(sinks: readonly string[], now: Date): Promise<void> {
    this.db
      .transaction(() => {
        const end = (this.db.prepare('SELECT coalesce(max(pos), 0) AS pos FROM siem_feed').get() as { pos: number }).pos;
        // Positions are never reused (AUTOINCREMENT), so a pruned, empty feed still starts after `end`.
        const add = this.db.prepare('INSERT INTO siem_cursors (sink, delivered_pos, next_attempt_at) VALUES (?, ?, ?) ON CONFLICT(sink) DO NOTHING');
        for (const sink of sinks) add.run(sink, end, now.getTime());
        const placeholders = sinks.map(() => '?').join(',');
        this.db.prepare(`DELETE FROM siem_cursors ${sinks.length > 0 ? `WHERE sink NOT IN (${placeholders})` : ''}`).run(...sinks);
      })
      .immediate();
    await this.prune();
  }

  async claim(request: SiemClaimRequest): Promise<readonly SiemFeedItem[] | null> {
    const now = request.now.getTime();
    return this.db
      .transaction((): SiemFeedItem[] | null => {
        const cursor = this.db.prepare('SELECT * FROM siem_cursors WHERE sink = ?').get(request.sink) as CursorRow | undefined;
        if (!cursor || cursor.next_attempt_at > now) return null;
        if (cursor.claimed_by !== null && cursor.claimed_by !== request.owner && (cursor.claimed_until ?? 0) > now) return null;
        const rows = this.db
          .prepare(
            `SELECT f.pos, a.doc AS audit_doc, f.alert_id, o.type AS alert_type, o.text AS alert_text, o.payload AS alert_payload, o.created_at AS alert_created_at
             FROM siem_feed f
             LEFT JOIN audit_records a ON a.seq = f.audit_seq
             LEFT JOIN outbox o ON o.id = f.alert_id
             WHERE f.pos > ? ORDER BY f.pos LIMIT ?`,
          )
          .all(cursor.delivered_pos, Math.max(1, Math.floor(request.limit))) as FeedRow[];
        const owner = rows.length > 0 ? request.owner : null;
        this.db
          .prepare('UPDATE siem_cursors SET claimed_by = ?, claimed_until = ? WHERE sink = ?')
          .run(owner, owner ? now + request.claimMs : null, request.sink);
        return rows.map(itemOf);
      })
      .immediate();
  }

  async markDelivered(sink: string, owner: string, pos: number, at: Date): Promise<boolean> {
    const result = this.db
      .prepare(
        `UPDATE siem_cursors SET delivered_pos = max(delivered_pos, @pos), failures = 0, last_error = NULL, next_attempt_at = @at,
           claimed_by = NULL, claimed_until = NULL, last_delivered_at = @at
         WHERE sink = @sink AND claimed_by = @owner`,
      )
      .run({ sink, owner, pos, at: at.getTime() });
    return result.changes === 1;
  }

  async markFailed(sink: string, owner: string, failure: { at: Date; error: string; retryAt: Date }): Promise<boolean> {
    const result = this.db
      .prepare(
        `UPDATE siem_cursors SET failures = failures + 1, last_error = @error, next_attempt_at = @retry, claimed_by = NULL, claimed_until = NULL
         WHERE sink = @sink AND claimed_by = @owner`,
      )
      .run({ sink, owner, error: failure.error.slice(0, 1000), retry: failure.retryAt.getTime() });
    return result.changes === 1;
  }

  async status(): Promise<readonly SiemSinkStatus[]> {
    const rows = this.db
      .prepare('SELECT c.*, (SELECT count(*) FROM siem_feed f WHERE f.pos > c.delivered_pos) AS backlog FROM siem_cursors c ORDER BY c.sink')
      .all() as (CursorRow & { backlog: number })[];
    return rows.map((row) => ({
      sink: row.sink,
      deliveredPos: row.delivered_pos,
      backlog: row.backlog,
      failures: row.failures,
      nextAttemptAt: new Date(row.next_attempt_at),
      lastError: row.last_error ?? undefined,
      lastDeliveredAt: row.last_delivered_at === null ? undefined : new Date(row.last_delivered_at),
    }));
  }

  async prune(): Promise<number> {
    // With no sink, min() is NULL and everything goes: nothing is waiting for it.
    return this.db.prepare('DELETE FROM siem_feed WHERE pos <= coalesce((SELECT min(delivered_pos) FROM siem_cursors), (SELECT max(pos) FROM siem_feed))').run()
      .changes;
  }
}

function itemOf(row: FeedRow): SiemFeedItem {
  if (row.audit_doc !== null) return { pos: row.pos, kind: 'audit', record: fromDocument<AuditRecord>(row.audit_doc) };
  // An alert whose outbox row is gone still goes out, as far as it is known.
  return {
    pos: row.pos,
    kind: 'alert',
    alertId: row.alert_id ?? `unknown-${row.pos}`,
    at: new Date(row.alert_created_at ?? 0),
    type: row.alert_type ?? 'unknown',
    text: row.alert_text ?? '',
    data: row.alert_payload ? (JSON.parse(row.alert_payload) as Record<string, unknown>) : {},
  };
}
