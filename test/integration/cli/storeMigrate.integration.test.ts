import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/domain/session/session.js';
import type { CommandRecord } from '../../../src/domain/session/commandRecord.js';
import { MongoAgendaBackend } from '../../../src/jobs/mongoAgendaBackend.js';
import { SqliteJobRepository } from '../../../src/jobs/sqliteBackend/sqliteJobRepository.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { approveChange, rejectChange } from '../../../src/services/changes/reviewChange.js';
import { createReportSchedule } from '../../../src/services/reports/reportSchedules.js';
import { lockUser } from '../../../src/services/sessions/sessionControl.js';
import { FileRecordingStore } from '../../../src/store/files/fileRecordingStore.js';
import { MongoRecordingStore } from '../../../src/store/mongo/mongoRecordingStore.js';
import { MongoStore } from '../../../src/store/mongo/mongoStore.js';
import type { OutboxMessage } from '../../../src/store/outboxRepository.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import type { Store } from '../../../src/store/store.js';
import { HOUR, buildPolicy, buildRule, buildUser } from '../../support/factories.js';
import { freePort } from '../../support/freePort.js';
import { freshDatabaseName, mongoUriOrSkip } from '../../support/mongoTestServer.js';
import { runCliProcess } from '../../support/runCliProcess.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import { TestClock } from '../../support/testClock.js';

/**
 * `changeguard store migrate --to URI`, the real CLI process, from a SQLite store filled
 * through the services (changes filed, approved, rejected; a session with its commands and
 * recording; a lock, a key, a sign-out, a used link; notifications in the outbox and their
 * posted copies; a report schedule; Agenda's jobs) into a MongoDB database.
 */
const uri = mongoUriOrSkip('changeguard store migrate');

if (uri !== undefined) {
  const alice = { userId: 'alice', terminal: 'test' };
  const bob = { userId: 'bob', terminal: 'test' };
  const erin = { userId: 'erin', terminal: 'test' };
  const basePolicy = buildPolicy({ rules: [buildRule({ id: 'no-rm', command: ['rm'], action: 'block', risk: 'high' })] });
  // sam locks mallory: both must be users of the policy (authorisation reads it).
  const sourcePolicy = { ...basePolicy, users: [...basePolicy.users, buildUser({ id: 'sam', roles: ['security'] }), buildUser({ id: 'mallory' })] };
  let dir: string;
  let dataDir: string;
  const opened: MongoStore[] = [];
  const databases: string[] = [];

  const targetUri = (dbName: string) => {
    databases.push(dbName);
    const url = new URL(uri);
    url.pathname = `/${dbName}`;
    return url.toString();
  };
  const migrate = (to: string, ...flags: string[]) => runCliProcess(['store', 'migrate', '--to', to, ...flags], { env: { DATA_DIR: dataDir, MONGODB_URI: '' } });
  const openTarget = async (to: string) => {
    const store = await MongoStore.connect(to);
    opened.push(store);
    return store;
  };

  async function sourceOutboxCount(): Promise<number> {
    const store = SqliteStore.open(join(dataDir, 'changeguard.db'));
    try {
      return (await store.outbox.list({})).length;
    } finally {
      await store.close();
    }
  }

  /** The source, filled as the product fills it, with a clock that moves. */
  async function fillSource(): Promise<void> {
    const store = SqliteStore.open(join(dataDir, 'changeguard.db'));
    try {
      const clock = new TestClock(new Date('2026-11-22T09:00:00Z'));
      const { deps } = await serviceHarness(store, { clock, policy: sourcePolicy });
      const input = (title: string) => ({ title, group: 'web-ops', devices: ['web01'], script: 'systemctl restart nginx\nuptime', windowStart: new Date(clock.now().getTime() + HOUR), windowEnd: new Date(clock.now().getTime() + 2 * HOUR) });
      const approved = await registerChange(deps, input('Restart nginx'), alice);
      await approveChange(deps, approved.code, bob);
      const rejected = await registerChange(deps, input('Drop the cache'), alice);
      await rejectChange(deps, rejected.code, bob, 'not during the sale');
      await registerChange(deps, input('Still waiting'), alice);
      await createReportSchedule(deps, { id: 'ops-daily', period: 'daily', cron: '0 8 * * *', timezone: 'Europe/Paris' }, erin);
      await lockUser(deps, 'mallory', { userId: 'sam', terminal: 'test' }, 'tried rm -rf /');
      await store.accounts.addKey({ user: 'alice', fingerprint: 'SHA256:alicekey', publicKey: 'ssh-ed25519 AAAA alice', addedAt: clock.now() });
      await store.accounts.endWebSessions('bob', clock.now());
      await store.linkNonces.claim({ nonce: 'nonce-1', code: approved.code, approver: 'bob', usedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 24 * HOUR) });

      const session: Session = { id: 'sess-migrated', changeCode: approved.code, user: 'alice', device: 'web01', kind: 'shell', justification: 'planned', clientAddress: '127.0.0.1', startedAt: clock.now(), state: 'active', owner: 'node-a:2222' };
      await store.sessions.create(session);
      const writer = await new FileRecordingStore(join(dataDir, 'recordings')).create(session.id);
      await writer.append('{"version": 2, "width": 80, "height": 24}\n[0.1, "o", "$ "]\n');
      await writer.append('[0.5, "o", "systemctl restart nginx\\r\\n"]\n[1.0, "o", "é ✓\\r\\n"]\n');
      await writer.close();
      const command = (id: string, line: string, overrides: Partial<CommandRecord> = {}): CommandRecord => ({
        id, sessionId: session.id, changeCode: approved.code, user: 'alice', device: 'web01', at: clock.now(), source: 'shell', line, commands: [line], effective: [line], verdict: 'allow', ruleIds: [], risk: null, ...overrides,
      });
      await store.commands.append(command('cmd-1', 'systemctl restart nginx', { exitStatus: 0 }));
      await store.commands.append(command('cmd-2', 'rm -rf /var/www', { verdict: 'block', ruleIds: ['no-rm'], risk: 'high', reason: 'rule no-rm' }));
      await store.commands.append(command('cmd-3', 'uptime'));
      await store.deviations.create({
        id: 'dev-migrated', changeCode: approved.code, sessionId: session.id, requester: 'alice', device: 'web01', line: 'systemctl stop nginx', ruleIds: ['review-systemctl'], commandId: 'cmd-4', requestedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 300_000), status: 'pending',
      });
      await store.deviations.settle('dev-migrated', 'pending', { status: 'allowed', decidedBy: 'bob', decidedAt: clock.now() });
      await store.sessions.update(session.id, 'active', { state: 'ended', endedAt: clock.now(), endReason: 'logout' });

      const message = (id: string, overrides: Partial<OutboxMessage> = {}): OutboxMessage => ({
        id, type: 'change.created', audience: 'user:bob', channel: 'U01BOB', placement: { kind: 'post' }, payload: { change: { code: approved.code }, 'odd.key': 1 }, text: `${approved.code} waits for you`, status: 'pending', attempts: 0, nextAttemptAt: clock.now(), createdAt: clock.now(), updatedAt: clock.now(), ...overrides,
      });
      await store.outbox.enqueue(message('msg-delivered', { dedupeKey: `created:${approved.code}:bob` }));
      await store.outbox.claimDue({ now: clock.now(), owner: 'node-a', claimMs: 30_000, limit: 1 });
      await store.outbox.markDelivered('msg-delivered', 'node-a', { at: clock.now(), channel: 'D01BOB', ts: '1700000000.000100' });
      await store.outbox.enqueue(message('msg-pending', { audience: 'channel:C01WEBOPS', channel: 'C01WEBOPS' }));
      await store.slackMessages.record({ channel: 'D01BOB', ts: '1700000000.000100', changeCode: approved.code, audience: 'user:bob', postedAt: clock.now() });

      const jobs = new SqliteJobRepository(store.db);
      await jobs.saveJob({ name: 'window-open', type: 'normal', priority: 0, nextRunAt: approved.windowStart, data: { code: approved.code }, unique: { 'data.code': approved.code } }, { lastModifiedBy: 'node-a' });
      await jobs.saveJob({ name: 'report-daily', type: 'normal', priority: 0, nextRunAt: new Date('2026-11-23T07:00:00Z'), repeatInterval: '0 8 * * *', repeatTimezone: 'Europe/Paris', data: { scheduleId: 'ops-daily' }, unique: { 'data.scheduleId': 'ops-daily' } }, undefined);
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'changeguard-migrate-'));
    dataDir = join(dir, 'data');
    await fillSource();
  });

  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close().catch(() => undefined)));
    for (const dbName of databases) {
      const store = await MongoStore.connect(uri, { dbName });
      await store.connection.dropDatabase();
      await store.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Everything a store holds that the migration promises to carry, as comparable data. */
  async function contents(store: Store, recordings: { open(id: string): Promise<NodeJS.ReadableStream | null> }) {
    const changes = await store.changes.list({});
    const sessions = (await Promise.all(changes.map((c) => store.sessions.listByChange(c.code)))).flat();
    const read = async (id: string) => {
      const stream = await recordings.open(id);
      if (!stream) return null;
      let text = '';
      for await (const chunk of stream) text += chunk.toString();
      return text;
    };
    const records: unknown[] = [];
    for await (const record of store.audit.iterate()) records.push(record);
    return {
      changes,
      sessions: sessions.map(({ recording: _ref, ...rest }) => rest),
      commandsByChange: await Promise.all(changes.map((c) => store.commands.listByChange(c.code))),
      commandsBySession: await Promise.all(sessions.map((s) => store.commands.listBySession(s.id))),
      ruleMatches: await store.commands.countRuleMatches('alice', 'no-rm'),
      recordings: await Promise.all(sessions.map((s) => read(s.id))),
      audit: records,
      head: await store.audit.head(),
      policy: await store.policy.load(),
      locks: await store.accounts.listLocks(),
      keys: await store.accounts.listKeys('alice'),
      signedOut: await store.accounts.webSessionsEndedAt('bob'),
      nonceUsed: await store.linkNonces.isUsed('nonce-1'),
      outbox: await store.outbox.list({}),
      slackCopies: (await Promise.all(changes.map((c) => store.slackMessages.listByChange(c.code)))).flat(),
      schedules: await store.reportSchedules.list(),
      deviations: (await Promise.all(changes.map((c) => store.deviations.listByChange(c.code)))).flat(),
    };
  }

  describe('changeguard store migrate', () => {
    let to: string;

    it('copies everything, keeps the audit hashes, and verifies the chain on arrival', async () => {
      to = targetUri(freshDatabaseName('migrate'));
      const result = await migrate(to);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^changes: 3 copied, 0 already there$/m);
      expect(result.stdout).toMatch(/^commands: 3 copied, 0 already there$/m);
      expect(result.stdout).toMatch(/^deviation requests: 1 copied, 0 already there$/m);
      expect(result.stdout).toMatch(/^recordings: 1 copied, 0 already there$/m);
      expect(result.stdout).toMatch(/^audit chain verified on arrival: \d+ records, head \d+ [0-9a-f]{64}$/m);

      const source = SqliteStore.open(join(dataDir, 'changeguard.db'));
      const target = await openTarget(to);
      try {
        const before = await contents(source, new FileRecordingStore(join(dataDir, 'recordings')));
        const after = await contents(target, await MongoRecordingStore.open(target.connection));
        expect(after).toEqual(before);
        expect(before.audit.length).toBeGreaterThan(5);
        expect(before.recordings[0]).toContain('é ✓');
        // The recording reference now says where the recording is.
        expect((await target.sessions.findById('sess-migrated'))?.recording).toBe('mongo:recording_chunks/sess-migrated');
        // Suggested codes go on from the source's.
        expect(await target.changes.nextSequence('change')).toBe(4);
        // Agenda's jobs, under their ids, unlocked, found by Agenda's own queries.
        const sourceJobs = (await new SqliteJobRepository(source.db).queryJobs({ sort: { name: 'asc' } })).jobs;
        const backend = new MongoAgendaBackend(target.connection.db!);
        await backend.connect();
        const targetJobs = (await backend.repository.queryJobs({ sort: { name: 'asc' } })).jobs;
        const comparable = ({ _id, name, data, nextRunAt, repeatInterval, repeatTimezone }: (typeof sourceJobs)[number]) => ({ _id: String(_id), name, data, nextRunAt, repeatInterval, repeatTimezone });
        expect(targetJobs.map(comparable)).toEqual(sourceJobs.map(comparable));
      } finally {
        await source.close();
      }

      const verify = await runCliProcess(['audit', 'verify', '--json'], { env: { DATA_DIR: join(dir, 'elsewhere'), MONGODB_URI: to } });
      expect(verify.code).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
    });

    it('is idempotent: a rerun copies nothing twice, then only what the source wrote since', async () => {
      const again = await migrate(to);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^changes: 0 copied, 3 already there$/m);
      expect(again.stdout).toMatch(/^audit records: 0 copied, \d+ already there$/m);
      // (As many as the source holds: one row per destination of every notification.)
      expect(again.stdout).toMatch(new RegExp(`^outbox messages: 0 copied, ${(await sourceOutboxCount())} already there$`, 'm'));

      const source = SqliteStore.open(join(dataDir, 'changeguard.db'));
      try {
        const { deps } = await serviceHarness(source, { clock: new TestClock(new Date('2026-11-22T12:00:00Z')), policy: sourcePolicy });
        await registerChange(deps, { title: 'Written after the first run', group: 'web-ops', devices: ['web01'], script: 'uptime', windowStart: new Date('2026-11-22T14:00:00Z'), windowEnd: new Date('2026-11-22T15:00:00Z') }, alice);
      } finally {
        await source.close();
      }
      const third = await migrate(to);
      expect(third.code).toBe(0);
      expect(third.stdout).toMatch(/^changes: 1 copied, 3 already there$/m);
      expect(third.stdout).toMatch(/^audit records: [1-9]\d* copied, \d+ already there$/m);
      const target = await openTarget(to);
      expect(await target.changes.list({})).toHaveLength(4);
    });

    it('refuses, in one line, what differs in the target unless --force, which replaces it', async () => {
      const target = await openTarget(to);
      const [first] = await target.changes.list({ statuses: ['approved'] });
      await target.changes.update(first!.code, first!.version, { title: 'edited in the target' });
      const refused = await migrate(to);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`changeguard: change ${first!.code} differs in the target: it changed there since it was copied, or comes from elsewhere; rerun with --force to replace it with the source's\n`);
      const forced = await migrate(to, '--force');
      expect(forced.code).toBe(0);
      expect(forced.stdout).toMatch(/^changes: 0 copied, 3 already there, 1 replaced \(--force\)$/m);
      expect((await target.changes.findByCode(first!.code))?.title).toBe('Restart nginx');
    });

    it('refuses a database that holds other data unless --force, and never merges another audit chain', async () => {
      const foreign = targetUri(freshDatabaseName('foreign'));
      const other = await openTarget(foreign);
      await other.outbox.enqueue({ id: 'theirs', type: 'x', audience: 'user:x', placement: { kind: 'post' }, payload: {}, text: 'x', status: 'not_sent', attempts: 0, nextAttemptAt: new Date(), createdAt: new Date(), updatedAt: new Date() });
      const refused = await migrate(foreign);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^changeguard: the target database "cg_foreign_[^"]+" is not empty \(outbox\) and was not filled by a migration of this store: nothing was copied; use --force to copy into it anyway\n$/);
      expect(await other.changes.list({})).toEqual([]);
      const forced = await migrate(foreign, '--force');
      expect(forced.code).toBe(0);
      expect(await other.outbox.findById('theirs')).not.toBeNull();

      const chained = targetUri(freshDatabaseName('chained'));
      const withChain = await openTarget(chained);
      await withChain.audit.append({ at: new Date(), status: 'S', eventType: 'CREATE', class: 'CHANGE', actor: 'someone', object: 'CHG-9' });
      const merged = await migrate(chained, '--force');
      expect(merged.code).toBe(2);
      expect(merged.stderr).toBe('changeguard: audit record 1 differs in the target (another chain): a chain cannot be merged into another; migrate into an empty database\n');
    });

    it('says in one line what is wrong with its input', async () => {
      const notMongo = await migrate('postgres://db/changeguard');
      expect(notMongo).toMatchObject({ code: 2, stderr: 'changeguard: --to: expected a mongodb:// or mongodb+srv:// connection string, got "postgres://db/changeguard"\n' });
      const closed = await freePort();
      const unreachable = await runCliProcess(['store', 'migrate', '--to', `mongodb://admin:secret@127.0.0.1:${closed}/x`], { env: { DATA_DIR: dataDir, MONGODB_URI: '' } });
      expect(unreachable.code).toBe(2);
      expect(unreachable.stderr).toMatch(/^changeguard: cannot reach the target mongodb:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/x: .+\n$/);
      expect(unreachable.stderr).not.toContain('secret');
      const noSource = await runCliProcess(['store', 'migrate', '--to', to], { env: { DATA_DIR: join(dir, 'empty'), MONGODB_URI: '' } });
      expect(noSource).toMatchObject({ code: 2, stderr: `changeguard: --from: no SQLite store at ${join(dir, 'empty', 'changeguard.db')} (set DATA_DIR, or name the file with --from)\n` });
      // A table this version does not know (written by a newer one) would be left behind: refused.
      const source = SqliteStore.open(join(dataDir, 'changeguard.db'));
      source.db.exec('CREATE TABLE newer_feature (id TEXT PRIMARY KEY)');
      await source.close();
      const unknown = await migrate(targetUri(freshDatabaseName('unknown')));
      expect(unknown).toMatchObject({ code: 2, stderr: 'changeguard: the SQLite store has tables this migration does not copy (newer_feature): nothing was copied; use the changeguard version that wrote them\n' });
    });
  });
}
