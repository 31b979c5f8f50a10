import type { AccountRepository } from './accountRepository.js';
import type { AuditRepository } from './auditRepository.js';
import type { ChangeRepository } from './changeRepository.js';
import type { CommandRepository } from './commandRepository.js';
import type { DeviationRepository } from './deviationRepository.js';
import type { LinkNonceRepository } from './linkNonceRepository.js';
import type { OutboxRepository } from './outboxRepository.js';
import type { PolicyRepository } from './policyRepository.js';
import type { ReportScheduleRepository } from './reportScheduleRepository.js';
import type { SiemFeedRepository } from './siemFeedRepository.js';
import type { SessionRepository } from './sessionRepository.js';
import type { SlackMessageRepository } from './slackMessageRepository.js';

/** Everything the services persist. One implementation per backend (sqlite/, mongo/). */
export interface Store {
  readonly kind: 'sqlite' | 'mongo';
  readonly changes: ChangeRepository;
  readonly sessions: SessionRepository;
  readonly commands: CommandRepository;
  readonly audit: AuditRepository;
  readonly policy: PolicyRepository;
  readonly accounts: AccountRepository;
  /** Used approval-link nonces (single-use links). */
  readonly linkNonces: LinkNonceRepository;
  readonly outbox: OutboxRepository;
  readonly slackMessages: SlackMessageRepository;
  readonly reportSchedules: ReportScheduleRepository;
  /** Commands waiting for (or settled by) an approver's decision: deviations from the approved script. */
  readonly deviations: DeviationRepository;
  /** The SIEM stream's feed and cursors; undefined where the store cannot feed it in the same write yet (MongoDB). */
  readonly siemFeed?: SiemFeedRepository | undefined;
  /**
   * Moves commits written with their state but not yet in the audit chain and the outbox
   * there, in order, idempotently; returns how many. SQLite writes commits in place (always
   * zero); MongoDB keeps them in the state's document until relayed. Every process runs it at
   * start and continuously.
   */
  relayPendingCommits(): Promise<number>;
  /** Throws StoreUnavailableError when the backend cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
