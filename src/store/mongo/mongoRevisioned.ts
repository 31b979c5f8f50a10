import type { AccountLockDoc, ChangeDoc, DeviationDoc, CounterDoc, MongoModels, PolicyDoc, ReportScheduleDoc, SessionDoc, SshKeyDoc, WebSignoutDoc } from './mongoModels.js';
import type { OutboxDoc, SlackModels } from './mongoSlackModels.js';
import { RevisionedCollection } from './revisionedCollection.js';

type Doc<T> = T & Record<string, unknown>;

/** The entities whose writes are conditional, each over its listing collection (revisionedCollection.ts). */
export interface MongoRevisioned {
  readonly changes: RevisionedCollection<Doc<ChangeDoc>>;
  /** `changes.nextSequence` counters. */
  readonly sequences: RevisionedCollection<Doc<CounterDoc>>;
  readonly sessions: RevisionedCollection<Doc<SessionDoc>>;
  /** Deviation requests: a waiting proxy reads one by `_id` while it waits. */
  readonly deviations: RevisionedCollection<Doc<DeviationDoc>>;
  readonly reportSchedules: RevisionedCollection<Doc<ReportScheduleDoc>>;
  readonly outbox: RevisionedCollection<Doc<OutboxDoc>>;
  /** One entity, key `current`: the whole policy. */
  readonly policies: RevisionedCollection<Doc<PolicyDoc>>;
  readonly webSignouts: RevisionedCollection<Doc<WebSignoutDoc>>;
  /** Keyed by user. */
  readonly accountLocks: RevisionedCollection<Doc<AccountLockDoc>>;
  /** Keyed by fingerprint. */
  readonly sshKeys: RevisionedCollection<Doc<SshKeyDoc>>;
}

export function defineRevisioned(models: MongoModels, slackModels: SlackModels): MongoRevisioned {
  const over = <T>(listing: unknown, kind: string, keyField: string, options: { idIsKey?: boolean } = {}) =>
    new RevisionedCollection<Doc<T>>(models.revisions, listing as never, kind, keyField, options, models.relayMarkers);
  return {
    // Read on every Slack interaction about a change and each second per supervised change: by `_id`.
    changes: over<ChangeDoc>(models.changes, 'change', 'code', { idIsKey: true }),
    sequences: over<CounterDoc>(models.sequences, 'sequence', '_id'),
    // Read every second for each live session (supervision): found by `_id`.
    sessions: over<SessionDoc>(models.sessions, 'session', 'id', { idIsKey: true }),
    deviations: over<DeviationDoc>(models.deviations, 'deviation', 'id', { idIsKey: true }),
    reportSchedules: over<ReportScheduleDoc>(models.reportSchedules, 'report-schedule', 'id'),
    // Written several times per notification (enqueued, claimed, settled): found by `_id`.
    outbox: over<OutboxDoc>(slackModels.outbox, 'outbox', 'id', { idIsKey: true }),
    policies: over<PolicyDoc>(models.policies, 'policy', '_id'),
    webSignouts: over<WebSignoutDoc>(models.webSignouts, 'web-signout', 'user'),
    accountLocks: over<AccountLockDoc>(models.accountLocks, 'account-lock', 'user'),
    sshKeys: over<SshKeyDoc>(models.sshKeys, 'ssh-key', 'fingerprint'),
  };
}
