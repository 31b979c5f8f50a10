import { ObjectId } from '@agendajs/mongo-backend';
import { join } from 'node:path';
import { canonicalJson } from '../../domain/audit/canonicalJson.js';
import { ChainVerifier, type ChainVerification } from '../../domain/audit/verifyChain.js';
import type { Session } from '../../domain/session/session.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { MONGO_JOBS_COLLECTION, MongoAgendaBackend } from '../../jobs/mongoAgendaBackend.js';
import { SqliteJobRepository } from '../../jobs/sqliteBackend/sqliteJobRepository.js';
import { FileRecordingStore } from '../files/fileRecordingStore.js';
import type { LinkNonceRepository } from '../linkNonceRepository.js';
import { MongoRecordingStore } from '../mongo/mongoRecordingStore.js';
import { toOutboxDoc } from '../mongo/mongoOutboxRepository.js';
import { toStored } from '../mongo/mongoDocument.js';
import type { MongoStore } from '../mongo/mongoStore.js';
import type { DeviationRequest } from '../../domain/deviation/deviationRequest.js';
import type { RecordingStore } from '../recordingStore.js';
import { fromDocument } from '../sqlite/jsonDocument.js';
import type { SqliteStore } from '../sqlite/sqliteStore.js';
import { DuplicateKeyError } from '../storeErrors.js';

/** The SQLite tables this migration copies; any other table stops it (it would be left behind). */
const KNOWN_TABLES = new Set([
  'schema_migrations',
  'changes',
  'sequences',
  'sessions',
  'commands',
  'command_rules',
  'audit_records',
  'audit_head',
  'policy_items',
  'policy_singletons',
  'account_locks',
  'ssh_keys',
  'outbox',
  'slack_messages',
  'agenda_jobs',
  'report_schedules',
  'used_link_nonces',
  'web_signouts',
  'deviations',
  // Derived, so not copied: command search's full-text index and day map (MongoDB keeps the
  // words in each command document, filled as commands are copied), and the SIEM feed and its
  // cursors (rebuilt from the audit trail; the SIEM stream runs on the embedded store only).
  'commands_words',
  'commands_words_data',
  'commands_words_idx',
  'commands_words_docsize',
  'commands_words_config',
  'command_days',
  'siem_feed',
  'siem_cursors',
]);

/** Collections whose documents make a target "not empty". */
const TARGET_COLLECTIONS = [
  'changes',
  'sessions',
  'commands',
  'audit_records',
  'policies',
  'policy_items',
  'account_locks',
  'ssh_keys',
  'outbox',
  'slack_messages',
  'report_schedules',
  'used_link_nonces',
  'web_signouts',
  'deviations',
  'recording_chunks',
  MONGO_JOBS_COLLECTION,
];

export const MIGRATIONS_COLLECTION = 'store_migrations';

export interface MigrationOptions {
  /** Copy into a target that holds data not written by a migration of this store, and overwrite what differs. */
  readonly force: boolean;
  /** Where the source's recordings are (`$DATA_DIR/recordings`). */
  readonly recordingsDir: string;
  /** Names the source in the target's record of the migration. */
  readonly sourceName: string;
  readonly now: () => Date;
}

/** What one kind of data came to: copied now, found already there and equal, replaced (--force). */
export interface CopyCount {
  readonly kind: string;
  copied: number;
  unchanged: number;
  replaced: number;
}

export interface MigrationReport {
  readonly counts: readonly CopyCount[];
  readonly chain: ChainVerification;
  /** The source's chain head, found unchanged in the target. */
  readonly sourceHead: { readonly seq: number; readonly hash: string } | null;
}

/** Stops the migration with one line saying why; nothing after the failing item was written. */
export class MigrationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationRefused';
  }
}

/**
 * Copies everything the embedded SQLite store holds into a MongoDB database: changes and
 * their sequences, sessions and their commands and recordings, the audit chain (records as
 * they are, hashes unchanged, and its head), the policy, locks, SSH keys, web sign-outs,
 * used approval-link nonces, the outbox and the posted Slack copies, report schedules and
 * Agenda's jobs. Each item is written only if the target does not have it; one it has is
 * compared, and one that differs stops the migration unless `force` (then the source's
 * replaces it, as a new revision). So a rerun, after an interruption or to pick up what the
 * source wrote since, copies only what is missing. The audit chain is never merged: a target
 * chain that differs from the source's stops it whatever `force` says. Afterwards the
 * target's chain is verified from its first record and must contain the source's head.
 */
export async function migrateSqliteToMongo(source: SqliteStore, target: MongoStore, options: MigrationOptions): Promise<MigrationReport> {
  refuseUnknownTables(source);
  await refuseForeignTarget(target, options);
  const startedAt = options.now();
  await target.connection.db!.collection<{ _id: string }>(MIGRATIONS_COLLECTION).updateOne(
    { _id: 'sqlite' },
    { $set: { source: options.sourceName, state: 'copying', startedAt }, $unset: { finishedAt: '' } },
    { upsert: true },
  );

  const counts: CopyCount[] = [];
  const count = (kind: string) => {
    const entry: CopyCount = { kind, copied: 0, unchanged: 0, replaced: 0 };
    counts.push(entry);
    return entry;
  };
  const sourceHead = await source.audit.head();
  await copyAuditTrail(source, target, count('audit records'));
  await copyPolicy(source, target, options, count('policy'));
  await copyChanges(source, target, options, count('changes'));
  await copySequences(source, target, count('sequences'));
  const recordingsCopied = await copyRecordings(source, target, options, count('recordings'));
  await copySessions(source, target, options, recordingsCopied, count('sessions'));
  await copyCommands(source, target, count('commands'));
  await copyAccounts(source, target, options, count('locks'), count('ssh keys'), count('web sign-outs'));
  await copyLinkNonces(source, target.linkNonces, count('approval-link nonces'));
  await copyOutbox(source, target, options, count('outbox messages'));
  await copySlackCopies(source, target, count('slack copies'));
  await copyReportSchedules(source, target, options, count('report schedules'));
  await copyDeviations(source, target, options, count('deviation requests'));
  await copyJobs(source, target, options, count('jobs'));

  const chain = await verifyOnArrival(target, sourceHead);
  await target.connection.db!.collection<{ _id: string }>(MIGRATIONS_COLLECTION).updateOne(
    { _id: 'sqlite' },
    { $set: { state: chain.ok ? 'done' : 'chain broken on arrival', finishedAt: options.now(), counts } },
  );
  return { counts, chain, sourceHead };
}

function refuseUnknownTables(source: SqliteStore): void {
  const tables = (source.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
  const unknown = tables.filter((name) => !KNOWN_TABLES.has(name));
  if (unknown.length > 0) {
    throw new MigrationRefused(`the SQLite store has tables this migration does not copy (${unknown.join(', ')}): nothing was copied; use the changeguard version that wrote them`);
  }
}

/** An empty target, or one a migration of this store filled, is fine; anything else needs `force`. */
async function refuseForeignTarget(target: MongoStore, options: MigrationOptions): Promise<void> {
  const db = target.connection.db!;
  const earlier = await db.collection<{ _id: string; source?: string }>(MIGRATIONS_COLLECTION).findOne({ _id: 'sqlite' });
  if (earlier || options.force) return;
  const filled: string[] = [];
  for (const name of TARGET_COLLECTIONS) {
    if (await db.collection(name).findOne({}, { projection: { _id: 1 } })) filled.push(name);
  }
  if (filled.length > 0) {
    throw new MigrationRefused(
      `the target database "${db.databaseName}" is not empty (${filled.join(', ')}) and was not filled by a migration of this store: nothing was copied; use --force to copy into it anyway`,
    );
  }
}

async function copyAuditTrail(source: SqliteStore, target: MongoStore, counted: CopyCount): Promise<void> {
  const records = target.models.auditRecords.collection;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const seqs = batch.map((record) => record.seq as number);
    const present = new Map((await records.find({ seq: { $in: seqs } }, { projection: { seq: 1, hash: 1 } }).toArray()).map((doc) => [doc.seq as number, doc.hash as string]));
    const missing: Record<string, unknown>[] = [];
    for (const record of batch) {
      const hash = present.get(record.seq as number);
      if (hash === undefined) missing.push(record);
      else if (hash === record.hash) counted.unchanged++;
      else throw new MigrationRefused(`audit record ${String(record.seq)} differs in the target (another chain): a chain cannot be merged into another; migrate into an empty database`);
    }
    // Inserted as they are: same fields, same hashes, so the chain verifies unchanged.
    if (missing.length > 0) await records.insertMany(missing as never[], { ordered: true });
    counted.copied += missing.length;
    batch = [];
  };
  for await (const record of source.audit.iterate()) {
    batch.push(toStored({ ...record }));
    if (batch.length >= 500) await flush();
  }
  await flush();
  const head = await source.audit.head();
  if (!head) return;
  const current = await target.models.auditHeads.findOne({ _id: 'audit' }).lean<{ seq: number; hash: string }>();
  // A target that went on appending after an earlier migration is ahead: its head stays.
  if (!current || current.seq < head.seq) {
    await target.models.auditHeads.collection.updateOne({ _id: 'audit' } as never, { $set: { seq: head.seq, hash: head.hash } }, { upsert: true });
  }
}

async function copyPolicy(source: SqliteStore, target: MongoStore, options: MigrationOptions, counted: CopyCount): Promise<void> {
  const policy = await source.policy.load();
  const there = await target.policy.load();
  if (same(policy, there)) {
    counted.unchanged++;
    return;
  }
  const empty = there.users.length + there.groups.length + there.devices.length + there.rules.length === 0;
  if (!empty && !options.force) throw differs('the policy');
  await target.policy.apply({ replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules }, channels: policy.channels, settings: policy.settings });
  if (empty) counted.copied++;
  else counted.replaced++;
}

async function copyChanges(source: SqliteStore, target: MongoStore, options: MigrationOptions, counted: CopyCount): Promise<void> {
  for (const change of await source.changes.list({})) {
    await copyEntity(counted, options, `change ${change.code}`, {
      insert: async () => {
        try {
          await target.changes.create(change);
          return true;
        } catch (error) {
          if (error instanceof DuplicateKeyError) return false;
          throw error;
        }
      },
      read: () => target.changes.findByCode(change.code),
      wanted: change,
      replace: () => target.revisioned.changes.write(change.code, () => toStored({ ...change })),
    });
  }
}

async function copySequences(source: SqliteStore, target: MongoStore, counted: CopyCount): Promise<void> {
  const rows = source.db.prepare('SELECT name, value FROM sequences').all() as { name: string; value: number }[];
  for (const { name, value } of rows) {
    // Never moved backwards: codes handed out in the target since stay taken.
    const outcome = await target.revisioned.sequences.write(name, (current) => ((current?.value ?? 0) < value ? { _id: name, value } : undefined));
    if (outcome.written) counted.copied++;
    else counted.unchanged++;
  }
}

/** Recording files become chunk documents; returns the sessions whose recording is in the target. */
async function copyRecordings(source: SqliteStore, target: MongoStore, options: MigrationOptions, counted: CopyCount): Promise<Set<string>> {
  const files = new FileRecordingStore(options.recordingsDir);
  const chunks = await MongoRecordingStore.open(target.connection);
  const inTarget = new Set<string>();
  const ids = (source.db.prepare('SELECT id FROM sessions ORDER BY rowid').all() as { id: string }[]).map((row) => row.id);
  for (const id of ids) {
    const text = await readRecording(files, id);
    if (text === null) continue;
    const there = await readRecording(chunks, id);
    if (there === null) {
      const writer = await chunks.create(id);
      await writer.append(text);
      await writer.close();
      counted.copied++;
    } else if (there === text) {
      counted.unchanged++;
    } else if (there.length < text.length && text.startsWith(there)) {
      // An earlier run stopped in the middle of this one: the rest follows.
      await appendRest(target, id, text.slice(there.length));
      counted.copied++;
    } else {
      throw differs(`the recording of session ${id}`);
    }
    inTarget.add(id);
  }
  return inTarget;
}

async function appendRest(target: MongoStore, sessionId: string, rest: string): Promise<void> {
  const collection = target.connection.db!.collection<{ sessionId: string; seq: number; data: string; at: Date }>('recording_chunks');
  const [last] = await collection.find({ sessionId }).sort({ seq: -1 }).limit(1).toArray();
  await collection.insertOne({ sessionId, seq: (last?.seq ?? 0) + 1, data: rest, at: new Date() });
}

async function readRecording(store: RecordingStore, sessionId: string): Promise<string | null> {
  const stream = await store.open(sessionId);
  if (!stream) return null;
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

async function copySessions(source: SqliteStore, target: MongoStore, options: MigrationOptions, recordings: Set<string>, counted: CopyCount): Promise<void> {
  const rows = source.db.prepare('SELECT doc FROM sessions ORDER BY rowid').all() as { doc: string }[];
  for (const row of rows) {
    const stored = fromDocument<Session>(row.doc);
    // Where the recording now is: chunk documents, as the MongoDB store writes them.
    const session: Session = recordings.has(stored.id) ? { ...stored, recording: `mongo:recording_chunks/${stored.id}` } : stored;
    await copyEntity(counted, options, `session ${session.id}`, {
      insert: async () => {
        try {
          await target.sessions.create(session);
          return true;
        } catch (error) {
          if (error instanceof DuplicateKeyError) return false;
          throw error;
        }
      },
      read: () => target.sessions.findById(session.id),
      wanted: session,
      replace: () => target.revisioned.sessions.write(session.id, () => toStored({ ...session })),
    });
  }
}

async function copyCommands(source: SqliteStore, target: MongoStore, counted: CopyCount): Promise<void> {
  const commands = target.models.commands.collection;
  const rows = source.db.prepare('SELECT doc, pos FROM commands ORDER BY pos').all() as { doc: string; pos: number }[];
  for (let start = 0; start < rows.length; start += 500) {
    const batch = rows.slice(start, start + 500).map((row) => ({ record: fromDocument<CommandRecord>(row.doc), pos: row.pos }));
    const present = new Set((await commands.find({ id: { $in: batch.map((b) => b.record.id) } }, { projection: { id: 1 } }).toArray()).map((doc) => doc.id as string));
    // Positions as the source ordered them: small numbers, before any the MongoDB store hands out (microseconds).
    const missing = batch.filter((b) => !present.has(b.record.id)).map((b) => ({ _id: b.record.id, ...toStored({ ...b.record }), pos: b.pos }));
    if (missing.length > 0) await commands.insertMany(missing as never[], { ordered: true });
    counted.copied += missing.length;
    counted.unchanged += batch.length - missing.length;
  }
}

async function copyAccounts(source: SqliteStore, target: MongoStore, options: MigrationOptions, locks: CopyCount, keys: CopyCount, signouts: CopyCount): Promise<void> {
  for (const lock of await source.accounts.listLocks()) {
    if (await target.accounts.lock(lock)) {
      locks.copied++;
      continue;
    }
    const there = await target.accounts.findLock(lock.user);
    if (same(there, lock)) locks.unchanged++;
    else if (!options.force) throw differs(`the lock of ${lock.user}`);
    else {
      await target.accounts.unlock(lock.user);
      await target.accounts.lock(lock);
      locks.replaced++;
    }
  }
  const users = (source.db.prepare('SELECT DISTINCT user FROM ssh_keys ORDER BY user').all() as { user: string }[]).map((row) => row.user);
  for (const user of users) {
    for (const key of await source.accounts.listKeys(user)) {
      try {
        await target.accounts.addKey(key);
        keys.copied++;
      } catch (error) {
        if (!(error instanceof DuplicateKeyError)) throw error;
        const there = await target.accounts.findKeyByFingerprint(key.fingerprint);
        if (same(there, key)) keys.unchanged++;
        else if (!options.force) throw differs(`SSH key ${key.fingerprint}`);
        else {
          if (there) await target.accounts.removeKey(there.user, there.fingerprint);
          await target.accounts.addKey(key);
          keys.replaced++;
        }
      }
    }
  }
  const rows = source.db.prepare('SELECT user FROM web_signouts ORDER BY user').all() as { user: string }[];
  for (const { user } of rows) {
    const at = await source.accounts.webSessionsEndedAt(user);
    if (!at) continue;
    const before = await target.accounts.webSessionsEndedAt(user);
    // Only ever forward: a later sign-out in the target stands.
    await target.accounts.endWebSessions(user, at);
    if (before && before.getTime() >= at.getTime()) signouts.unchanged++;
    else signouts.copied++;
  }
}

async function copyLinkNonces(source: SqliteStore, target: LinkNonceRepository, counted: CopyCount): Promise<void> {
  const rows = source.db.prepare('SELECT nonce, code, approver, used_at, expires_at FROM used_link_nonces ORDER BY rowid').all() as {
    nonce: string;
    code: string;
    approver: string;
    used_at: number;
    expires_at: number;
  }[];
  for (const row of rows) {
    const claimed = await target.claim({ nonce: row.nonce, code: row.code, approver: row.approver, usedAt: new Date(row.used_at), expiresAt: new Date(row.expires_at) });
    // Either way it is used in the target now, which is all a nonce says.
    if (claimed) counted.copied++;
    else counted.unchanged++;
  }
}

async function copyOutbox(source: SqliteStore, target: MongoStore, options: MigrationOptions, counted: CopyCount): Promise<void> {
  // Oldest first, so the target lists them in the same order.
  const messages = (await source.outbox.list({})).reverse();
  for (const message of messages) {
    await copyEntity(counted, options, `outbox message ${message.id}`, {
      insert: () => target.outbox.enqueue(message),
      read: () => target.outbox.findById(message.id),
      wanted: message,
      replace: () => target.revisioned.outbox.write(message.id, () => toOutboxDoc(message)),
    });
  }
}

async function copySlackCopies(source: SqliteStore, target: MongoStore, counted: CopyCount): Promise<void> {
  const codes = (source.db.prepare('SELECT DISTINCT change_code FROM slack_messages ORDER BY change_code').all() as { change_code: string }[]).map((row) => row.change_code);
  for (const code of codes) {
    const there = new Set((await target.slackMessages.listByChange(code)).map((copy) => `${copy.channel}/${copy.ts}`));
    for (const copy of await source.slackMessages.listByChange(code)) {
      if (there.has(`${copy.channel}/${copy.ts}`)) {
        counted.unchanged++;
        continue;
      }
      await target.slackMessages.record(copy);
      counted.copied++;
    }
  }
}

async function copyReportSchedules(source: SqliteStore, target: MongoStore, options: MigrationOptions, counted: CopyCount): Promise<void> {
  for (const schedule of await source.reportSchedules.list()) {
    await copyEntity(counted, options, `report schedule ${schedule.id}`, {
      insert: async () => {
        try {
          await target.reportSchedules.create(schedule);
          return true;
        } catch (error) {
          if (error instanceof DuplicateKeyError) return false;
          throw error;
        }
      },
      read: () => target.reportSchedules.findById(schedule.id),
      wanted: schedule,
      replace: () => target.revisioned.reportSchedules.write(schedule.id, () => toStored({ ...schedule })),
    });
  }
}

/** Deviation requests, read from their table (the port lists them by change only). */
async function copyDeviations(source: SqliteStore, target: MongoStore, options: MigrationOptions, counted: CopyCount): Promise<void> {
  const rows = source.db.prepare('SELECT doc FROM deviations ORDER BY requested_at, id').all() as { doc: string }[];
  for (const request of rows.map((row) => fromDocument<DeviationRequest>(row.doc))) {
    await copyEntity(counted, options, `deviation request ${request.id}`, {
      insert: async () => {
        try {
          await target.deviations.create(request);
          return true;
        } catch (error) {
          if (error instanceof DuplicateKeyError) return false;
          throw error;
        }
      },
      read: () => target.deviations.findById(request.id),
      wanted: request,
      replace: () => target.revisioned.deviations.write(request.id, () => toStored({ ...request })),
    });
  }
}

/**
 * Agenda's jobs, under the same ids, in the document shape @agendajs/mongo-backend reads,
 * unlocked (the migration runs with every process stopped: a lock would be a dead one's).
 */
async function copyJobs(source: SqliteStore, target: MongoStore, options: MigrationOptions, counted: CopyCount): Promise<void> {
  const backend = new MongoAgendaBackend(target.connection.db!);
  await backend.connect();
  const jobs = target.connection.db!.collection(MONGO_JOBS_COLLECTION);
  const { jobs: all } = await new SqliteJobRepository(source.db).queryJobs({});
  for (const job of all) {
    const _id = new ObjectId(String(job._id));
    const data = (job.data ?? {}) as { code?: unknown; scheduleId?: unknown };
    const unique = typeof data.code === 'string' ? { 'data.code': data.code } : typeof data.scheduleId === 'string' ? { 'data.scheduleId': data.scheduleId } : undefined;
    const doc = {
      name: job.name,
      type: job.type ?? 'normal',
      priority: job.priority ?? 0,
      nextRunAt: job.nextRunAt ?? null,
      lockedAt: null,
      lastRunAt: job.lastRunAt ?? null,
      lastFinishedAt: job.lastFinishedAt ?? null,
      failedAt: job.failedAt ?? null,
      failCount: job.failCount ?? null,
      failReason: job.failReason ?? null,
      repeatInterval: job.repeatInterval ?? null,
      repeatTimezone: job.repeatTimezone ?? null,
      repeatAt: job.repeatAt ?? null,
      disabled: job.disabled ?? null,
      progress: job.progress ?? null,
      startDate: job.startDate ?? null,
      endDate: job.endDate ?? null,
      skipDays: job.skipDays ?? null,
      debounceStartedAt: job.debounceStartedAt ?? null,
      fork: job.fork ?? null,
      lastModifiedBy: job.lastModifiedBy ?? null,
      data: job.data ?? null,
      uniqueKey: job.type === 'single' ? `single:${job.name}` : unique ? `unique:${job.name}:${canonicalJson(unique)}` : `id:${_id.toHexString()}`,
      lockToken: new ObjectId().toHexString(),
    };
    const there = await jobs.findOne({ $or: [{ _id }, { uniqueKey: doc.uniqueKey }] });
    if (!there) {
      await jobs.insertOne({ _id, ...doc });
      counted.copied++;
      continue;
    }
    const comparable = (value: Record<string, unknown>) => {
      const { _id: _ignoredId, lockToken: _token, lockedAt: _locked, lastModifiedBy: _by, ...rest } = value;
      return rest;
    };
    if (String(there._id) === String(_id) && same(comparable(there), comparable(doc))) {
      counted.unchanged++;
    } else if (!options.force) {
      throw differs(`job ${job.name} ${JSON.stringify(job.data)}`);
    } else {
      await jobs.deleteOne({ _id: there._id });
      await jobs.insertOne({ _id, ...doc });
      counted.replaced++;
    }
  }
}

interface EntityCopy<T> {
  /** False when the target has it already. */
  readonly insert: () => Promise<boolean>;
  readonly read: () => Promise<T | null>;
  readonly wanted: T;
  readonly replace: () => Promise<unknown>;
}

async function copyEntity<T>(counted: CopyCount, options: MigrationOptions, what: string, copy: EntityCopy<T>): Promise<void> {
  if (await copy.insert()) {
    counted.copied++;
    return;
  }
  if (same(await copy.read(), copy.wanted)) {
    counted.unchanged++;
    return;
  }
  if (!options.force) throw differs(what);
  await copy.replace();
  counted.replaced++;
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function differs(what: string): MigrationRefused {
  return new MigrationRefused(`${what} differs in the target: it changed there since it was copied, or comes from elsewhere; rerun with --force to replace it with the source's`);
}

/** The target's chain from its first record, which must hold the source's head unchanged. */
async function verifyOnArrival(target: MongoStore, sourceHead: { seq: number; hash: string } | null): Promise<ChainVerification> {
  const verifier = new ChainVerifier();
  let atSourceHead: string | undefined;
  for await (const record of target.audit.iterate()) {
    if (sourceHead && record.seq === sourceHead.seq) atSourceHead = record.hash;
    if (!verifier.add(record)) break;
  }
  const result = verifier.finish(await target.audit.head());
  if (result.ok && sourceHead && atSourceHead !== sourceHead.hash) {
    return { ok: false, count: result.count, firstBad: sourceHead.seq, problem: 'truncated', message: `record ${sourceHead.seq}, the source's head, is not in the target with its hash` };
  }
  return result;
}

/** `$DATA_DIR/recordings` beside a SQLite file. */
export function recordingsBeside(sqliteFile: string): string {
  return join(sqliteFile, '..', 'recordings');
}

