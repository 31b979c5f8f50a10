import { Schema, type Connection, type Model, type SchemaOptions } from 'mongoose';
import type { AuditRecord } from '../../domain/audit/auditRecord.js';
import type { Policy } from '../../domain/policy/policy.js';
import type { Change } from '../../domain/change/change.js';
import type { ReportSchedule } from '../../domain/reports/reportSchedule.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { DeviationRequest } from '../../domain/deviation/deviationRequest.js';
import type { Session } from '../../domain/session/session.js';
import type { AccountLock, RegisteredKey } from '../accountRepository.js';
import type { PolicyCollection } from '../policyRepository.js';
import type { StoredCommit } from './mongoCommits.js';
import type { RelayMarkerDoc, RevisionDoc } from './revisionedCollection.js';

/*
 * The schemas declare only the fields that queries filter, sort or index on; every document
 * holds exactly the domain object (see mongoDocument.ts), as the SQLite store holds it as JSON.
 * `strict: false` keeps mongoose from silently dropping a domain field the schema does not
 * list (a new field then needs no schema change), and `strictQuery: false` keeps it from
 * silently dropping a filter condition. Repositories insert through the model's native
 * collection, so no document hydration reinterprets dotted keys or adds defaults.
 */

export type ChangeDoc = Change;
export type SessionDoc = Session;
export type DeviationDoc = DeviationRequest;
/**
 * `pos`: allocation order from a counter, the order commands were judged in. `words`: the
 * folded words of the line that command search matches (absent on documents stored before it).
 */
export type CommandDoc = CommandRecord & {
  readonly pos: number;
  readonly words?: readonly string[];
  /** The commit (EXECUTE audit record) written with the command (mongoCommandCommits.ts). */
  readonly commit?: StoredCommit;
};
export type AuditRecordDoc = AuditRecord;
/** The single `{ _id: 'audit' }` document: the chain head, moved after each append. */
export interface AuditHeadDoc {
  readonly _id: string;
  readonly seq: number;
  readonly hash: string;
}
export interface CounterDoc {
  readonly _id: string;
  readonly value: number;
}
/** The whole policy, `_id` 'current' (mongoPolicyRepository.ts). */
export type PolicyDoc = Policy & { readonly _id: string };
/** Before policies were one document: one policy item; `item` is the domain object, `position` its place in the policy file. Read only. */
export interface PolicyItemDoc {
  readonly kind: PolicyCollection;
  readonly id: string;
  readonly position: number;
  readonly item: unknown;
}
/** Before policies were one document: `channels` and `settings`, keyed by name. Read only. */
export interface PolicySingletonDoc {
  readonly _id: string;
  readonly value: unknown;
}
export type AccountLockDoc = AccountLock;
export type SshKeyDoc = RegisteredKey;
export type ReportScheduleDoc = ReportSchedule;

export interface MongoModels {
  /** Every revision of every revisioned entity (revisionedCollection.ts): what conditional writes insert. */
  readonly revisions: Model<RevisionDoc>;
  readonly changes: Model<ChangeDoc>;
  /** `changes.nextSequence` counters, `_id` = the sequence name. */
  readonly sequences: Model<CounterDoc>;
  readonly sessions: Model<SessionDoc>;
  readonly deviations: Model<DeviationDoc>;
  readonly commands: Model<CommandDoc>;
  readonly auditRecords: Model<AuditRecordDoc>;
  readonly auditHeads: Model<AuditHeadDoc>;
  readonly policies: Model<PolicyDoc>;
  readonly policyItems: Model<PolicyItemDoc>;
  readonly policySingletons: Model<PolicySingletonDoc>;
  /** Revisions about to be written with a commit (revisionedCollection.ts, RelayMarkerDoc). */
  readonly relayMarkers: Model<RelayMarkerDoc>;
  readonly accountLocks: Model<AccountLockDoc>;
  readonly sshKeys: Model<SshKeyDoc>;
  readonly webSignouts: Model<WebSignoutDoc>;
  readonly reportSchedules: Model<ReportScheduleDoc>;
}

const OPTIONS = {
  strict: false,
  strictQuery: false,
  versionKey: false,
  minimize: false,
  id: false,
  // Indexes are built once, awaited, by MongoStore.connect.
  autoIndex: false,
} satisfies SchemaOptions;

function revisionSchema() {
  const schema = new Schema<RevisionDoc>(
    {
      _id: { type: String, required: true },
      kind: { type: String, required: true },
      key: { type: String, required: true },
      rev: { type: Number, required: true },
      at: { type: Date, required: true },
    },
    OPTIONS,
  );
  // Read by `_id` only (`<kind>/<key>#<rev>`): no other index to keep up.
  return schema;
}

function changeSchema() {
  const schema = new Schema<ChangeDoc>(
    {
      code: { type: String, required: true },
      status: { type: String, required: true },
      requester: { type: String, required: true },
      group: { type: String, required: true },
      windowStart: { type: Date, required: true },
      windowEnd: { type: Date, required: true },
      version: { type: Number, required: true },
    },
    OPTIONS,
  );
  schema.index({ code: 1 }, { unique: true });
  schema.index({ status: 1, windowStart: -1 });
  schema.index({ requester: 1, windowStart: -1 });
  schema.index({ group: 1, windowStart: -1 });
  return schema;
}

function counterSchema() {
  return new Schema<CounterDoc>({ _id: { type: String, required: true }, value: { type: Number, required: true } }, OPTIONS);
}

function sessionSchema() {
  const schema = new Schema<SessionDoc>(
    {
      id: { type: String, required: true },
      changeCode: { type: String, required: true },
      state: { type: String, required: true },
      owner: { type: String },
      startedAt: { type: Date, required: true },
    },
    OPTIONS,
  );
  schema.index({ id: 1 }, { unique: true });
  schema.index({ changeCode: 1, startedAt: 1 });
  schema.index({ state: 1, owner: 1 });
  return schema;
}

function commandSchema() {
  const schema = new Schema<CommandDoc>(
    {
      id: { type: String, required: true },
      sessionId: { type: String, required: true },
      changeCode: { type: String, required: true },
      user: { type: String, required: true },
      device: { type: String },
      verdict: { type: String },
      at: { type: Date },
      ruleIds: { type: [String], default: undefined },
      /** Folded words of the line (domain/search/searchWords.ts): what command search matches. */
      words: { type: [String], default: undefined },
      pos: { type: Number, required: true },
    },
    OPTIONS,
  );
  schema.index({ id: 1 }, { unique: true });
  schema.index({ sessionId: 1, pos: 1 });
  schema.index({ changeCode: 1, pos: 1 });
  schema.index({ user: 1, ruleIds: 1 });
  // Command search: newest first within each filter, words by prefix; backtests scan by time.
  schema.index({ pos: -1 });
  schema.index({ user: 1, pos: -1 });
  schema.index({ device: 1, pos: -1 });
  schema.index({ verdict: 1, pos: -1 });
  schema.index({ words: 1, pos: -1 });
  schema.index({ at: 1, pos: 1 });
  return schema;
}

function auditRecordSchema() {
  const schema = new Schema<AuditRecordDoc>(
    {
      seq: { type: Number, required: true },
      at: { type: Date, required: true },
      status: { type: String, required: true },
      eventType: { type: String, required: true },
      actor: { type: String, required: true },
      change: { type: String },
    },
    OPTIONS,
  );
  schema.index({ seq: 1 }, { unique: true });
  schema.index({ at: 1 });
  schema.index({ change: 1, seq: 1 });
  return schema;
}

function auditHeadSchema() {
  return new Schema<AuditHeadDoc>(
    {
      _id: { type: String, required: true },
      seq: { type: Number, required: true },
      hash: { type: String, required: true },
    },
    OPTIONS,
  );
}

function policyItemSchema() {
  const schema = new Schema<PolicyItemDoc>(
    {
      kind: { type: String, required: true },
      id: { type: String, required: true },
      position: { type: Number, required: true },
      item: { type: Schema.Types.Mixed, required: true },
    },
    OPTIONS,
  );
  schema.index({ kind: 1, id: 1 }, { unique: true });
  return schema;
}

function policySingletonSchema() {
  return new Schema<PolicySingletonDoc>(
    { _id: { type: String, required: true }, value: { type: Schema.Types.Mixed, required: true } },
    OPTIONS,
  );
}

function accountLockSchema() {
  const schema = new Schema<AccountLockDoc>(
    {
      user: { type: String, required: true },
      at: { type: Date, required: true },
    },
    OPTIONS,
  );
  schema.index({ user: 1 }, { unique: true });
  return schema;
}

export interface WebSignoutDoc {
  readonly user: string;
  readonly at: Date;
}

function webSignoutSchema() {
  const schema = new Schema<WebSignoutDoc>({ user: { type: String, required: true }, at: { type: Date, required: true } }, OPTIONS);
  schema.index({ user: 1 }, { unique: true });
  return schema;
}

function sshKeySchema() {
  const schema = new Schema<SshKeyDoc>(
    {
      fingerprint: { type: String, required: true },
      user: { type: String, required: true },
      addedAt: { type: Date, required: true },
    },
    OPTIONS,
  );
  schema.index({ fingerprint: 1 }, { unique: true });
  schema.index({ user: 1, addedAt: 1 });
  return schema;
}

function deviationSchema() {
  const schema = new Schema<DeviationDoc>(
    {
      id: { type: String, required: true },
      changeCode: { type: String, required: true },
      status: { type: String, required: true },
      requestedAt: { type: Date, required: true },
    },
    OPTIONS,
  );
  schema.index({ id: 1 }, { unique: true });
  schema.index({ changeCode: 1, requestedAt: 1 });
  return schema;
}

function reportScheduleSchema() {
  const schema = new Schema<ReportScheduleDoc>(
    {
      id: { type: String, required: true },
      version: { type: Number, required: true },
    },
    OPTIONS,
  );
  schema.index({ id: 1 }, { unique: true });
  return schema;
}

/** Compiles the models on `connection` only: the global mongoose registry is never touched. */
export function defineModels(connection: Connection): MongoModels {
  return {
    revisions: connection.model<RevisionDoc>('Revision', revisionSchema(), 'revisions'),
    changes: connection.model<ChangeDoc>('Change', changeSchema(), 'changes'),
    sequences: connection.model<CounterDoc>('Sequence', counterSchema(), 'sequences'),
    sessions: connection.model<SessionDoc>('Session', sessionSchema(), 'sessions'),
    deviations: connection.model<DeviationDoc>('Deviation', deviationSchema(), 'deviations'),
    commands: connection.model<CommandDoc>('Command', commandSchema(), 'commands'),
    auditRecords: connection.model<AuditRecordDoc>('AuditRecord', auditRecordSchema(), 'audit_records'),
    auditHeads: connection.model<AuditHeadDoc>('AuditHead', auditHeadSchema(), 'audit_heads'),
    policies: connection.model<PolicyDoc>('Policy', new Schema<PolicyDoc>({ _id: { type: String, required: true } }, OPTIONS), 'policies'),
    policyItems: connection.model<PolicyItemDoc>('PolicyItem', policyItemSchema(), 'policy_items'),
    policySingletons: connection.model<PolicySingletonDoc>('PolicySingleton', policySingletonSchema(), 'policy_singletons'),
    relayMarkers: connection.model<RelayMarkerDoc>('RelayMarker', new Schema<RelayMarkerDoc>({ _id: { type: String, required: true } }, OPTIONS), 'relay_markers'),
    accountLocks: connection.model<AccountLockDoc>('AccountLock', accountLockSchema(), 'account_locks'),
    sshKeys: connection.model<SshKeyDoc>('SshKey', sshKeySchema(), 'ssh_keys'),
    webSignouts: connection.model<WebSignoutDoc>('WebSignout', webSignoutSchema(), 'web_signouts'),
    reportSchedules: connection.model<ReportScheduleDoc>('ReportSchedule', reportScheduleSchema(), 'report_schedules'),
  };
}

/** Model sets defined in their own files (mongoSlackModels.ts) are indexed the same way. */
type ModelSet = { readonly [name: string]: Model<any> };

/**
 * Creates the collections and their indexes. `createIndexes`, not `syncIndexes`: during a
 * rolling upgrade an older process would otherwise drop the indexes a newer one declares.
 * An index that is no longer wanted is dropped by hand (or by a later migration).
 */
export async function ensureIndexes(models: MongoModels | ModelSet): Promise<void> {
  for (const model of Object.values(models) as Model<unknown>[]) {
    await model.createCollection().catch((error: unknown) => {
      // 48 NamespaceExists: another process (or an earlier start) created it first.
      if ((error as { code?: unknown }).code !== 48) throw error;
    });
    await model.createIndexes();
  }
}
