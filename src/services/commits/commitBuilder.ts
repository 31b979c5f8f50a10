import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '../../domain/audit/auditRecord.js';
import type { Policy } from '../../domain/policy/policy.js';
import type { Notification } from '../../domain/notifications/catalogue.js';
import type { Commit } from '../../store/commit.js';
import type { Actor } from '../actor.js';
import type { AuditFields } from '../audit/auditTrail.js';
import { planOutbox } from '../notifications/outboxPlanner.js';
import type { ServiceDeps } from '../serviceDeps.js';

/**
 * Gathers what a use case leaves behind with its state change: the audit records and the
 * notifications (planned into outbox rows, one per destination, before the write). The
 * repository writes the commit with the state, all or nothing; `committed` then tells the
 * delivery side that rows are waiting.
 */
export class CommitBuilder {
  private readonly entries: AuditEntry[] = [];
  private readonly notifications: Notification[] = [];
  private policy: Policy | undefined;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly actor: Actor,
  ) {}

  audit(fields: AuditFields, actor: Actor = this.actor): this {
    this.entries.push({ ...fields, at: this.deps.clock(), actor: actor.userId, terminal: actor.terminal });
    return this;
  }

  notify(...notifications: readonly Notification[]): this {
    this.notifications.push(...notifications);
    return this;
  }

  /** Resolves audiences against `policy` (a policy import announces itself to the channels it names). */
  against(policy: Policy): this {
    this.policy = policy;
    return this;
  }

  async build(): Promise<Commit> {
    const outbox = [];
    for (const notification of this.notifications) outbox.push(...(await planOutbox(this.deps, notification, notification.audience, this.policy)));
    return { id: randomUUID(), at: this.deps.clock(), audit: [...this.entries], outbox };
  }
}

/** After a commit was stored: its rows are waiting for delivery. */
export function committed(deps: ServiceDeps, commit: Commit | undefined): void {
  if (commit && commit.outbox.length > 0) deps.outbox.onStored(commit.outbox);
}
