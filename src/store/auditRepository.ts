import type { AuditEntry, AuditRecord, AuditStatus, ChainHead } from '../domain/audit/auditRecord.js';

export interface AuditQuery {
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  readonly eventType?: string | undefined;
  readonly status?: AuditStatus | undefined;
  readonly actor?: string | undefined;
  readonly change?: string | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** Append-only: there is no update and no delete. */
export interface AuditRepository {
  /** Seals the entry after the current head, atomically, even with several writers. */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** The head recorded at the last append (kept apart from the records, to detect a cut tail). */
  head(): Promise<ChainHead | null>;
  /** Matching records in sequence order, with the total for pagination. */
  list(query: AuditQuery): Promise<{ records: AuditRecord[]; total: number }>;
  /** Every record in sequence order, streamed. */
  iterate(query?: Omit<AuditQuery, 'limit' | 'offset'>): AsyncIterable<AuditRecord>;
  /**
   * Every record in sequence order, each with the names of the fields the store keeps a
   * second copy of (columns queries filter on) whose copy disagrees with the hashed record.
   */
  iterateStored(): AsyncIterable<{ readonly record: AuditRecord; readonly divergent: readonly string[] }>;
}
