import type { Clock } from '../domain/clock.js';
import type { ShellParser } from '../domain/shell/shellParser.js';
import type { Store } from '../store/store.js';
import { AuditTrail } from './audit/auditTrail.js';
import { InProcessEventBus, type EventBus } from './domainEvents.js';
import { OutboxSettings } from './notifications/notificationText.js';
import { PolicyService } from './policy/policyService.js';

/** What every use case may need; built once in main.ts (or a test). */
export interface ServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly policies: PolicyService;
  readonly audit: AuditTrail;
  readonly events: EventBus;
  readonly parser: ShellParser;
  /** How notifications stored by use cases are worded and delivered (set by the Slack adapter). */
  readonly outbox: OutboxSettings;
}

/** Builds the use cases' dependencies around one store. */
export function createServiceDeps(parts: {
  store: Store;
  clock: Clock;
  parser: ShellParser;
  events?: EventBus;
  policyMaxAgeMs?: number;
}): ServiceDeps {
  return {
    store: parts.store,
    clock: parts.clock,
    parser: parts.parser,
    policies: new PolicyService(parts.store.policy, parts.clock, parts.policyMaxAgeMs),
    audit: new AuditTrail(parts.store.audit, parts.clock),
    events: parts.events ?? new InProcessEventBus(),
    outbox: new OutboxSettings(),
  };
}
