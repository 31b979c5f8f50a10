import type { Commit } from '../commit.js';
import type { SqliteAuditRepository } from './sqliteAuditRepository.js';
import type { SqliteOutboxRepository } from './sqliteOutboxRepository.js';

/**
 * Writes a use case's commit (audit records, outbox rows) inside the transaction that writes
 * its state: SQLite gives all or nothing across a crash at any instruction.
 */
export class SqliteCommitWriter {
  constructor(
    private readonly audit: SqliteAuditRepository,
    private readonly outbox: SqliteOutboxRepository,
  ) {}

  /** Must run inside a write transaction (`db.transaction(...).immediate()`). */
  write(commit: Commit | undefined): void {
    if (!commit) return;
    for (const entry of commit.audit) this.audit.appendInTransaction(entry);
    for (const row of commit.outbox) this.outbox.enqueueInTransaction(row);
  }
}
