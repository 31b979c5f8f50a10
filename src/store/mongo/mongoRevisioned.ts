import type { ChangeDoc, CounterDoc, MongoModels, PolicyDoc, ReportScheduleDoc, SessionDoc, WebSignoutDoc } from './mongoModels.js';
import type { OutboxDoc, SlackModels } from './mongoSlackModels.js';
import { RevisionedCollection } from './revisionedCollection.js';

type Doc<T> = T & Record<string, unknown>;

/** The entities whose writes are conditional, each over its listing collection (revisionedCollection.ts). */
export interface MongoRevisioned {
  readonly changes: RevisionedCollection<Doc<ChangeDoc>>;
  /** `changes.nextSequence` counters. */
  readonly sequences: RevisionedCollection<Doc<CounterDoc>>;
  readonly sessions: RevisionedCollection<Doc<SessionDoc>>;
  readonly reportSchedules: RevisionedCollection<Doc<ReportScheduleDoc>>;
  readonly outbox: RevisionedCollection<Doc<OutboxDoc>>;
  /** One entity, key `current`: the whole policy. */
  readonly policies: RevisionedCollection<Doc<PolicyDoc>>;
  readonly webSignouts: RevisionedCollection<Doc<WebSignoutDoc>>;
}

export function defineRevisioned(models: MongoModels, slackModels: SlackModels): MongoRevisioned {
  const over = <T>(listing: unknown, kind: string, keyField: string) =>
    new RevisionedCollection<Doc<T>>(models.revisions, listing as never, kind, keyField);
  return {
    changes: over<ChangeDoc>(models.changes, 'change', 'code'),
    sequences: over<CounterDoc>(models.sequences, 'sequence', '_id'),
    sessions: over<SessionDoc>(models.sessions, 'session', 'id'),
    reportSchedules: over<ReportScheduleDoc>(models.reportSchedules, 'report-schedule', 'id'),
    outbox: over<OutboxDoc>(slackModels.outbox, 'outbox', 'id'),
    policies: over<PolicyDoc>(models.policies, 'policy', '_id'),
    webSignouts: over<WebSignoutDoc>(models.webSignouts, 'web-signout', 'user'),
  };
}
