import type { Change } from '../domain/change/change.js';
import type { ApproverChange } from '../domain/policy/approverChanges.js';
import type { ReportSchedule } from '../domain/reports/reportSchedule.js';
import type { ScriptAudit } from '../domain/scriptAudit/scriptAudit.js';

/**
 * What happened, for the adapters that react (notifier, scheduler, proxy). Services publish
 * after the store write succeeded; a failing subscriber never undoes the write.
 */
export type DomainEvent =
  | { readonly type: 'change.created'; readonly change: Change }
  | { readonly type: 'change.approval_recorded'; readonly change: Change; readonly approver: string }
  | { readonly type: 'change.approved'; readonly change: Change }
  | { readonly type: 'change.rejected'; readonly change: Change }
  | { readonly type: 'change.revoked'; readonly change: Change }
  | { readonly type: 'change.cancelled'; readonly change: Change }
  | { readonly type: 'change.expired'; readonly change: Change }
  | { readonly type: 'change.started'; readonly change: Change }
  | { readonly type: 'change.closed'; readonly change: Change; readonly audit: ScriptAudit }
  /** The window moved; the change waits for approval again (`previous` is how it was). */
  | { readonly type: 'change.rescheduled'; readonly change: Change; readonly previous: Change }
  /** Title, description, servers or script changed; approvals withdrawn, approval needed again. */
  | { readonly type: 'change.edited'; readonly change: Change; readonly previous: Change }
  | { readonly type: 'report_schedule.created'; readonly schedule: ReportSchedule }
  | { readonly type: 'report_schedule.updated'; readonly schedule: ReportSchedule; readonly previous: ReportSchedule }
  | { readonly type: 'report_schedule.deleted'; readonly schedule: ReportSchedule }
  | {
      readonly type: 'policy.imported';
      readonly actor: string;
      /** Where the policy came from (a file name). */
      readonly source: string;
      /** One line per change: `RULE no-rm updated`. */
      readonly lines: readonly string[];
      readonly approverChanges: readonly ApproverChange[];
    };

export type DomainEventType = DomainEvent['type'];

export interface EventBus {
  publish(event: DomainEvent): Promise<void>;
  subscribe(listener: (event: DomainEvent) => Promise<void> | void): () => void;
}

/** In-process bus; listeners run in order and their failures are reported, not thrown. */
export class InProcessEventBus implements EventBus {
  private readonly listeners = new Set<(event: DomainEvent) => Promise<void> | void>();

  constructor(private readonly onListenerError: (error: unknown, event: DomainEvent) => void = () => {}) {}

  async publish(event: DomainEvent): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  subscribe(listener: (event: DomainEvent) => Promise<void> | void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
