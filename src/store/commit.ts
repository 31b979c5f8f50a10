import type { AuditEntry } from '../domain/audit/auditRecord.js';
import type { OutboxMessage } from './outboxRepository.js';

/**
 * What one use case leaves behind besides the state it changes: its audit records and its
 * notifications (outbox rows, one per destination). A repository given a commit writes it
 * together with the state change, all or nothing: SQLite in the same transaction; MongoDB
 * inside the same document, relayed to the audit chain and the outbox afterwards
 * (docs/ARCHITECTURE.md, "One action, one write").
 */
export interface Commit {
  /** Unique; relaying a commit twice appends and enqueues nothing twice. */
  readonly id: string;
  /** When the action happened. */
  readonly at: Date;
  readonly audit: readonly AuditEntry[];
  readonly outbox: readonly OutboxMessage[];
}
