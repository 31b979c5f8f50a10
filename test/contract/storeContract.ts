import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Commit } from '../../src/store/commit.js';
import type { Store } from '../../src/store/store.js';
import { DuplicateKeyError } from '../../src/store/storeErrors.js';
import { ChainVerifier } from '../../src/domain/audit/verifyChain.js';
import type { AuditEntry } from '../../src/domain/audit/auditRecord.js';
import type { Session } from '../../src/domain/session/session.js';
import type { CommandRecord } from '../../src/domain/session/commandRecord.js';
import { approveChange } from '../../src/services/changes/reviewChange.js';
import { registerChange } from '../../src/services/changes/registerChange.js';
import { ServiceError } from '../../src/services/serviceError.js';
import { HOUR, T0, buildChange, buildGroup, buildPolicy, buildRule, buildUser } from '../support/factories.js';
import { serviceHarness } from '../support/serviceHarness.js';
import { openForEachTest } from './openForEachTest.js';

export interface OpenedStore {
  readonly store: Store;
  /** A second, independent connection to the same database (another process, in effect). */
  readonly openSecond: () => Promise<Store>;
  readonly cleanup: () => Promise<void>;
}

function buildSession(overrides: Partial<Session> = {}): Session {
  return {
    id: 'sess-1',
    changeCode: 'CHG-1',
    user: 'alice',
    device: 'web01',
    kind: 'shell',
    justification: 'planned restart',
    clientAddress: '127.0.0.1',
    startedAt: T0,
    state: 'active',
    owner: 'proc-a',
    ...overrides,
  };
}

function buildCommand(overrides: Partial<CommandRecord> = {}): CommandRecord {
  return {
    id: 'cmd-1',
    sessionId: 'sess-1',
    changeCode: 'CHG-1',
    user: 'alice',
    device: 'web01',
    at: T0,
    source: 'shell',
    line: 'ls',
    commands: ['ls'],
    effective: ['ls'],
    verdict: 'allow',
    ruleIds: [],
    risk: null,
    ...overrides,
  };
}

function auditEntry(i: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return { at: new Date(T0.getTime() + i * 1000), status: 'S', eventType: 'CREATE', class: 'CHANGE', actor: 'alice', object: `CHG-${i}`, change: `CHG-${i}`, ...overrides };
}

/** The behaviour every store must have; registered once per backend. */
export function defineStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`store contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    openForEachTest(open, (o) => {
      opened = o;
      store = opened.store;
    });

    describe('changes', () => {
      it('creates, finds and round-trips every field', async () => {
        const change = buildChange({ approvals: [{ approver: 'bob', at: T0, scriptHash: 'h' }] });
        await store.changes.create(change);
        expect(await store.changes.findByCode('CHG-1')).toEqual(change);
        expect(await store.changes.findByCode('CHG-404')).toBeNull();
      });

      it('refuses a duplicate code', async () => {
        await store.changes.create(buildChange());
        await expect(store.changes.create(buildChange({ title: 'other' }))).rejects.toBeInstanceOf(DuplicateKeyError);
        expect((await store.changes.findByCode('CHG-1'))?.title).toBe('Restart nginx');
      });

      it('updates only at the expected version', async () => {
        await store.changes.create(buildChange());
        const updated = await store.changes.update('CHG-1', 0, { status: 'approved' });
        expect(updated).toMatchObject({ status: 'approved', version: 1, title: 'Restart nginx' });
        expect(await store.changes.update('CHG-1', 0, { status: 'rejected' })).toBeNull();
        expect((await store.changes.findByCode('CHG-1'))?.status).toBe('approved');
        expect(await store.changes.update('CHG-404', 0, { status: 'approved' })).toBeNull();
      });

      it('lets exactly one of two racing writers win, across connections', async () => {
        await store.changes.create(buildChange());
        const second = await opened.openSecond();
        try {
          const results = await Promise.all([
            store.changes.update('CHG-1', 0, { status: 'approved' }),
            second.changes.update('CHG-1', 0, { status: 'rejected' }),
          ]);
          expect(results.filter((r) => r !== null)).toHaveLength(1);
          expect((await store.changes.findByCode('CHG-1'))?.version).toBe(1);
        } finally {
          await second.close();
        }
      });

      it('lists with filters, newest window first', async () => {
        await store.changes.create(buildChange({ code: 'CHG-1' }));
        await store.changes.create(
          buildChange({ code: 'CHG-2', requester: 'dave', group: 'db-ops', status: 'approved', windowStart: new Date(T0.getTime() + 5 * HOUR), windowEnd: new Date(T0.getTime() + 6 * HOUR) }),
        );
        await store.changes.create(buildChange({ code: 'CHG-3', status: 'rejected' }));
        expect((await store.changes.list({})).map((c) => c.code)).toEqual(['CHG-2', 'CHG-1', 'CHG-3']);
        expect((await store.changes.list({ requester: 'alice' })).map((c) => c.code)).toEqual(['CHG-1', 'CHG-3']);
        expect((await store.changes.list({ statuses: ['approved', 'rejected'] })).map((c) => c.code)).toEqual(['CHG-2', 'CHG-3']);
        expect((await store.changes.list({ statuses: [] })).map((c) => c.code)).toEqual([]);
        expect((await store.changes.list({ groups: ['db-ops'] })).map((c) => c.code)).toEqual(['CHG-2']);
        expect((await store.changes.list({ windowFrom: new Date(T0.getTime() + 4 * HOUR) })).map((c) => c.code)).toEqual(['CHG-2']);
        expect((await store.changes.list({ windowTo: new Date(T0.getTime() + 2 * HOUR) })).map((c) => c.code)).toEqual(['CHG-1', 'CHG-3']);
        expect((await store.changes.list({ limit: 1, offset: 1 })).map((c) => c.code)).toEqual(['CHG-1']);
      });

      it('hands out increasing sequence numbers per name', async () => {
        expect([await store.changes.nextSequence('change'), await store.changes.nextSequence('change')]).toEqual([1, 2]);
        expect(await store.changes.nextSequence('other')).toBe(1);
      });
    });

    describe('sessions', () => {
      it('creates, finds, lists and updates only from the expected state', async () => {
        await store.sessions.create(buildSession());
        await store.sessions.create(buildSession({ id: 'sess-2', startedAt: new Date(T0.getTime() + 1000), owner: 'proc-b' }));
        await store.sessions.create(buildSession({ id: 'sess-3', changeCode: 'CHG-2' }));
        await expect(store.sessions.create(buildSession())).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await store.sessions.findById('sess-1')).toEqual(buildSession());
        expect((await store.sessions.listByChange('CHG-1')).map((s) => s.id)).toEqual(['sess-1', 'sess-2']);
        expect((await store.sessions.listActive('proc-b')).map((s) => s.id)).toEqual(['sess-2']);
        const ended = await store.sessions.update('sess-1', 'active', { state: 'ended', endedAt: new Date(T0.getTime() + 60_000), endReason: 'logout' });
        expect(ended).toMatchObject({ state: 'ended', endReason: 'logout', user: 'alice' });
        expect(await store.sessions.update('sess-1', 'active', { state: 'terminated' })).toBeNull();
        expect((await store.sessions.listActive()).map((s) => s.id)).toEqual(['sess-3', 'sess-2']);
      });
    });

    describe('commands', () => {
      it('keeps judgement order, counts rule matches per user and records exit statuses', async () => {
        await store.commands.append(buildCommand({ id: 'c1', ruleIds: ['no-rm'], verdict: 'block' }));
        await store.commands.append(buildCommand({ id: 'c2', line: 'uptime' }));
        await store.commands.append(buildCommand({ id: 'c3', sessionId: 'sess-2', ruleIds: ['no-rm', 'audit'], verdict: 'block' }));
        await store.commands.append(buildCommand({ id: 'c4', user: 'bob', changeCode: 'CHG-2', sessionId: 'sess-9', ruleIds: ['no-rm'] }));
        expect((await store.commands.listBySession('sess-1')).map((c) => c.id)).toEqual(['c1', 'c2']);
        expect((await store.commands.listByChange('CHG-1')).map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
        expect(await store.commands.countRuleMatches('alice', 'no-rm')).toBe(2);
        expect(await store.commands.countRuleMatches('bob', 'no-rm')).toBe(1);
        expect(await store.commands.countRuleMatches('alice', 'other')).toBe(0);
        await store.commands.setExitStatus('c2', 3);
        expect((await store.commands.listBySession('sess-1'))[1]).toEqual(buildCommand({ id: 'c2', line: 'uptime', exitStatus: 3 }));
      });
    });

    describe('judged commands with their audit record (one write)', () => {
      const executeCommit = (id: string, command: CommandRecord): Commit => ({
        id,
        at: command.at,
        audit: [{ at: command.at, status: 'S', eventType: 'EXECUTE', class: 'COMMAND', actor: command.user, object: command.device, change: command.changeCode, command: command.line, details: `allow in session ${command.sessionId}` }],
        outbox: [],
      });

      it('stores a command with its EXECUTE record, and neither when the command is refused', async () => {
        const first = buildCommand({ id: 'c1', line: 'systemctl restart nginx' });
        await store.commands.append(first, executeCommit('x1', first));
        // The same id again: refused whole, its record with it.
        const clash = buildCommand({ id: 'c1', line: 'rm -rf /srv' });
        await expect(store.commands.append(clash, executeCommit('x2', clash))).rejects.toBeInstanceOf(DuplicateKeyError);
        await store.relayPendingCommits();
        await store.relayPendingCommits();
        expect((await store.audit.list({})).records.map((r) => [r.eventType, r.command])).toEqual([['EXECUTE', 'systemctl restart nginx']]);
        expect(await store.commands.listBySession('sess-1')).toEqual([first]);
        // The search index holds the stored command, not the refused one.
        expect((await store.commands.search({ limit: 10, offset: 0, words: ['nginx'] })).records).toEqual([first]);
        expect((await store.commands.search({ limit: 10, offset: 0, words: ['srv'] })).records).toEqual([]);
        expect((await store.commands.search({ limit: 10, offset: 0, since: T0, until: new Date(T0.getTime() + 1) })).records.map((r) => r.id)).toEqual(['c1']);
      });

      it('keeps the chain whole, each command\'s record in the order it was stored, with other commits from a second connection', async () => {
        for (let i = 0; i < 4; i++) await store.changes.create(buildChange({ code: `CHG-${i}` }));
        const second = await opened.openSecond();
        try {
          const change = (i: number): Commit => ({ id: `k${i}`, at: T0, audit: [{ at: T0, status: 'S', eventType: 'APPROVE', class: 'CHANGE', actor: 'bob', object: `CHG-${i}`, change: `CHG-${i}` }], outbox: [] });
          const commands = Array.from({ length: 12 }, (_, i) => buildCommand({ id: `c${i}`, line: `echo ${i}`, at: new Date(T0.getTime() + i) }));
          // One session's commands come from one process, in order; the approvals race them from another.
          const session = (async () => {
            for (const [i, command] of commands.entries()) await store.commands.append(command, executeCommit(`x${i}`, command));
          })();
          await Promise.all([session, ...[0, 1, 2, 3].map((i) => second.changes.update(`CHG-${i}`, 0, { status: 'approved' }, change(i)))]);
          await Promise.all([store.relayPendingCommits(), second.relayPendingCommits()]);
        } finally {
          await second.close();
        }
        const verifier = new ChainVerifier();
        const { records } = await store.audit.list({});
        for (const record of records) expect(verifier.add(record)).toBe(true);
        expect(verifier.finish(await store.audit.head())).toMatchObject({ ok: true, count: 16 });
        expect(records.filter((r) => r.eventType === 'EXECUTE').map((r) => r.command)).toEqual(Array.from({ length: 12 }, (_, i) => `echo ${i}`));
        expect((await store.commands.listBySession('sess-1')).map((c) => c.id)).toEqual(Array.from({ length: 12 }, (_, i) => `c${i}`));
      });
    });

    describe('command search', () => {
      const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
      async function seed(): Promise<void> {
        const lines: Partial<CommandRecord>[] = [
          { id: 's1', line: 'sudo systemctl restart nginx', at: at(1) },
          { id: 's2', line: 'cat /etc/nginx/nginx.conf', at: at(2), device: 'web02' },
          { id: 's3', line: 'rm -rf /var/www', at: at(3), verdict: 'block', ruleIds: ['no-rm'] },
          { id: 's4', line: 'Systemctl STATUS Nginx', at: at(4), user: 'bob', sessionId: 'sess-2', changeCode: 'CHG-2' },
          { id: 's5', line: 'echo café', at: at(5), verdict: 'interrupt' },
          { id: 's6', line: 'uptime', at: at(6) },
        ];
        for (const line of lines) await store.commands.append(buildCommand(line));
      }
      const ids = async (query: Partial<Parameters<Store['commands']['search']>[0]>) =>
        (await store.commands.search({ limit: 10, offset: 0, ...query })).records.map((r) => r.id);

      it('finds lines by word prefixes, without case or accents, newest first', async () => {
        await seed();
        expect(await ids({ words: ['nginx'] })).toEqual(['s4', 's2', 's1']);
        expect(await ids({ words: ['ngi', 'syst'] })).toEqual(['s4', 's1']);
        expect(await ids({ words: ['cafe'] })).toEqual(['s5']);
        expect(await ids({ words: ['ginx'] })).toEqual([]);
        expect(await ids({})).toEqual(['s6', 's5', 's4', 's3', 's2', 's1']);
      });

      it('narrows by user, device, change, verdicts and time, and pages', async () => {
        await seed();
        expect(await ids({ user: 'bob' })).toEqual(['s4']);
        expect(await ids({ device: 'web02' })).toEqual(['s2']);
        expect(await ids({ changeCode: 'CHG-2', words: ['nginx'] })).toEqual(['s4']);
        expect(await ids({ verdicts: ['block', 'interrupt'] })).toEqual(['s5', 's3']);
        expect(await ids({ since: at(2), until: at(4) })).toEqual(['s3', 's2']);
        expect(await ids({ words: ['nginx'], user: 'alice', since: at(2) })).toEqual(['s2']);
        const first = await store.commands.search({ limit: 4, offset: 0 });
        const second = await store.commands.search({ limit: 4, offset: 4 });
        expect(first.records.map((r) => r.id)).toEqual(['s6', 's5', 's4', 's3']);
        expect(first.hasMore).toBe(true);
        expect(second.records.map((r) => r.id)).toEqual(['s2', 's1']);
        expect(second.hasMore).toBe(false);
        // Found records are the records as stored.
        expect((await store.commands.search({ limit: 1, offset: 0, words: ['uptime'] })).records[0]).toEqual(buildCommand({ id: 's6', line: 'uptime', at: at(6) }));
      });

      it('scans a time range oldest first, in batches', async () => {
        await seed();
        const batches: string[][] = [];
        for await (const batch of store.commands.scan({ since: at(2), until: at(6), batchSize: 2 })) batches.push(batch.map((r) => r.id));
        expect(batches).toEqual([['s2', 's3'], ['s4', 's5']]);
        const all: string[] = [];
        for await (const batch of store.commands.scan({})) all.push(...batch.map((r) => r.id));
        expect(all).toEqual(['s1', 's2', 's3', 's4', 's5', 's6']);
      });
    });

    describe('audit trail', () => {
      it('chains appends and records the head', async () => {
        expect(await store.audit.head()).toBeNull();
        const first = await store.audit.append(auditEntry(1));
        const second = await store.audit.append(auditEntry(2, { images: { before: { a: 1 }, after: { a: 2, at: T0 } } }));
        expect(first.seq).toBe(1);
        expect(second.prevHash).toBe(first.hash);
        expect(await store.audit.head()).toEqual({ seq: 2, hash: second.hash });
        const verifier = new ChainVerifier();
        for await (const record of store.audit.iterate()) verifier.add(record);
        expect(verifier.finish(await store.audit.head())).toMatchObject({ ok: true, count: 2 });
      });

      it('filters and pages in sequence order', async () => {
        for (let i = 1; i <= 5; i++) {
          await store.audit.append(auditEntry(i, { status: i === 3 ? 'D' : 'S', actor: i % 2 ? 'alice' : 'bob', eventType: i > 3 ? 'APPROVE' : 'CREATE', change: i > 3 ? 'CHG-9' : `CHG-${i}` }));
        }
        const page = await store.audit.list({ limit: 2, offset: 1 });
        expect(page.total).toBe(5);
        expect(page.records.map((r) => r.seq)).toEqual([2, 3]);
        expect((await store.audit.list({ status: 'D' })).records.map((r) => r.seq)).toEqual([3]);
        expect((await store.audit.list({ actor: 'bob' })).records.map((r) => r.seq)).toEqual([2, 4]);
        expect((await store.audit.list({ eventType: 'APPROVE', change: 'CHG-9' })).records.map((r) => r.seq)).toEqual([4, 5]);
        expect((await store.audit.list({ since: new Date(T0.getTime() + 2000), until: new Date(T0.getTime() + 4000) })).records.map((r) => r.seq)).toEqual([2, 3]);
        const iterated: number[] = [];
        for await (const record of store.audit.iterate({ actor: 'alice' })) iterated.push(record.seq);
        expect(iterated).toEqual([1, 3, 5]);
      });

      it('never forks the chain with two writers appending at once', async () => {
        const second = await opened.openSecond();
        try {
          await Promise.all(
            Array.from({ length: 40 }, (_, i) => (i % 2 ? second : store).audit.append(auditEntry(i))),
          );
          const verifier = new ChainVerifier();
          for await (const record of store.audit.iterate()) verifier.add(record);
          expect(verifier.finish(await store.audit.head())).toMatchObject({ ok: true, count: 40 });
        } finally {
          await second.close();
        }
      });
    });

    describe('policy', () => {
      it('starts empty with default settings, then replaces whole sections in order', async () => {
        expect(await store.policy.load()).toEqual({ users: [], groups: [], devices: [], rules: [], freezes: [], channels: {}, settings: { opaque: 'block', timezone: 'UTC' } });
        const policy = buildPolicy({ rules: [buildRule({ id: 'b' }), buildRule({ id: 'a', command: ['rm'] })] });
        await store.policy.apply({ replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules }, channels: { security: 'C01SEC' } });
        const loaded = await store.policy.load();
        expect(loaded.rules.map((r) => r.id)).toEqual(['b', 'a']);
        expect(loaded.groups).toEqual([buildGroup()]);
        expect(loaded.channels).toEqual({ security: 'C01SEC' });
        await store.policy.apply({ replace: { rules: [buildRule({ id: 'c' })] }, settings: { opaque: 'allow', timezone: 'Europe/Paris' } });
        const again = await store.policy.load();
        expect(again.rules.map((r) => r.id)).toEqual(['c']);
        expect(again.users).toHaveLength(policy.users.length);
        expect(again.settings).toEqual({ opaque: 'allow', timezone: 'Europe/Paris' });
      });
    });

    describe('accounts', () => {
      it('locks once, unlocks, and keeps registered keys unique', async () => {
        expect(await store.accounts.lock({ user: 'alice', at: T0, reason: 'rule x', by: 'system' })).toBe(true);
        expect(await store.accounts.lock({ user: 'alice', at: T0, reason: 'again', by: 'system' })).toBe(false);
        expect(await store.accounts.findLock('alice')).toEqual({ user: 'alice', at: T0, reason: 'rule x', by: 'system' });
        expect((await store.accounts.listLocks()).map((l) => l.user)).toEqual(['alice']);
        expect(await store.accounts.unlock('alice')).toBe(true);
        expect(await store.accounts.unlock('alice')).toBe(false);
        const key = { user: 'alice', fingerprint: 'SHA256:abc', publicKey: 'ssh-ed25519 AAAA alice', addedAt: T0 };
        await store.accounts.addKey(key);
        await expect(store.accounts.addKey({ ...key, user: 'bob' })).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await store.accounts.listKeys('alice')).toEqual([key]);
        expect(await store.accounts.findKeyByFingerprint('SHA256:abc')).toEqual(key);
        expect(await store.accounts.removeKey('bob', 'SHA256:abc')).toBe(false);
        expect(await store.accounts.removeKey('alice', 'SHA256:abc')).toBe(true);
      });

      it('keeps the latest time a user\'s web sessions were ended, whatever order the writes come in', async () => {
        expect(await store.accounts.webSessionsEndedAt('alice')).toBeNull();
        await store.accounts.endWebSessions('alice', new Date(T0.getTime() + 2000));
        await store.accounts.endWebSessions('alice', new Date(T0.getTime() + 1000));
        expect(await store.accounts.webSessionsEndedAt('alice')).toEqual(new Date(T0.getTime() + 2000));
        await Promise.all([store.accounts.endWebSessions('bob', new Date(T0.getTime() + 5000)), store.accounts.endWebSessions('bob', new Date(T0.getTime() + 7000))]);
        expect(await store.accounts.webSessionsEndedAt('bob')).toEqual(new Date(T0.getTime() + 7000));
        expect(await store.accounts.webSessionsEndedAt('carol')).toBeNull();
      });
    });

    /**
     * Every conditional write, raced across two connections many times: a server that runs
     * "update if" as a read then a write (FerretDB 1.x does, for findAndModify and update)
     * lets both through most of the time, so a single race would prove little.
     */
    describe('racing connections', () => {
      const ROUNDS = 15;
      let second: Store;
      beforeEach(async () => {
        second = await opened.openSecond();
      });
      afterEach(async () => {
        await second.close();
      });

      it('lets exactly one writer move a change from each version', async () => {
        await store.changes.create(buildChange());
        for (let version = 0; version < ROUNDS; version++) {
          const results = await Promise.all([
            store.changes.update('CHG-1', version, { title: `a${version}` }),
            second.changes.update('CHG-1', version, { title: `b${version}` }),
            store.changes.update('CHG-1', version, { title: `c${version}` }),
          ]);
          const winners = results.filter((r) => r !== null);
          expect(winners).toHaveLength(1);
          expect(await second.changes.findByCode('CHG-1')).toEqual(winners[0]);
        }
        expect((await store.changes.list({})).map((c) => c.version)).toEqual([ROUNDS]);
      });

      it('hands out each sequence number once', async () => {
        const numbers = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? second : store).changes.nextSequence('change')));
        expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      });

      it('ends a session once', async () => {
        for (let i = 0; i < ROUNDS; i++) {
          await store.sessions.create(buildSession({ id: `race-${i}` }));
          const results = await Promise.all([
            store.sessions.update(`race-${i}`, 'active', { state: 'terminated', endReason: 'security' }),
            second.sessions.update(`race-${i}`, 'active', { state: 'ended', endReason: 'logout' }),
          ]);
          const winners = results.filter((r) => r !== null);
          expect(winners).toHaveLength(1);
          expect(await store.sessions.findById(`race-${i}`)).toEqual(winners[0]);
        }
        expect(await store.sessions.listActive()).toEqual([]);
      });

      it('keeps the latest web sign-out when many land at once', async () => {
        const times = Array.from({ length: 20 }, (_, i) => new Date(T0.getTime() + ((i * 7) % 20) * 1000));
        await Promise.all(times.map((at, i) => (i % 2 ? second : store).accounts.endWebSessions('alice', at)));
        expect(await second.accounts.webSessionsEndedAt('alice')).toEqual(new Date(T0.getTime() + 19_000));
      });

      it('applies concurrent policy imports whole, one after the other', async () => {
        const imports = Array.from({ length: 6 }, (_, i) => ({
          replace: { rules: [buildRule({ id: `r${i}-a` }), buildRule({ id: `r${i}-b` })], users: [buildUser({ id: `u${i}` })] },
          channels: { audit: `C${i}` },
        }));
        await Promise.all(imports.map((write, i) => (i % 2 ? second : store).policy.apply(write)));
        const loaded = await store.policy.load();
        // Whichever landed last, all of its sections, none of another's.
        const last = Number(loaded.channels.audit?.slice(1));
        expect(loaded.rules.map((r) => r.id)).toEqual([`r${last}-a`, `r${last}-b`]);
        expect(loaded.users.map((u) => u.id)).toEqual([`u${last}`]);
      });

      it('lets exactly one lock and one unlock through', async () => {
        for (let i = 0; i < ROUNDS; i++) {
          const locks = await Promise.all([store, second, store].map((s, n) => s.accounts.lock({ user: `u${i}`, at: T0, reason: `r${n}`, by: 'system' })));
          expect(locks.filter(Boolean)).toHaveLength(1);
          const unlocks = await Promise.all([store, second].map((s) => s.accounts.unlock(`u${i}`)));
          expect(unlocks.filter(Boolean)).toHaveLength(1);
        }
      });
    });

    describe('commits (one action, one write)', () => {
      const commit = (id: string, object: string): Commit => ({
        id,
        at: T0,
        audit: [{ at: T0, status: 'S', eventType: 'APPROVE', class: 'CHANGE', actor: 'bob', object, change: object }],
        outbox: [
          {
            id: `row-${id}`,
            dedupeKey: `contract:${id}|user:alice`,
            type: 'access.request_approved',
            audience: 'user:alice',
            channel: 'U01ALICE',
            placement: { kind: 'post' },
            payload: { change: { code: object } },
            text: `approved ${object}`,
            status: 'pending',
            attempts: 0,
            nextAttemptAt: T0,
            createdAt: T0,
            updatedAt: T0,
          },
        ],
      });

      it('writes a commit with its state change, and nothing of it when the change is refused', async () => {
        await store.changes.create(buildChange({ code: 'CHG-1' }));
        expect(await store.changes.update('CHG-1', 0, { status: 'approved' }, commit('c1', 'CHG-1'))).toMatchObject({ version: 1 });
        // A stale version writes neither the state nor its commit.
        expect(await store.changes.update('CHG-1', 0, { status: 'rejected' }, commit('c2', 'CHG-1'))).toBeNull();
        // Whatever a crash may have left with the state (MongoDB) is moved by the relay, once.
        await store.relayPendingCommits();
        await store.relayPendingCommits();
        expect((await store.audit.list({})).records.map((r) => [r.eventType, r.object])).toEqual([['APPROVE', 'CHG-1']]);
        expect((await store.outbox.list({})).map((row) => row.dedupeKey)).toEqual(['contract:c1|user:alice']);
        expect(await store.changes.findByCode('CHG-1')).toMatchObject({ status: 'approved' });
      });

      it('writes a deletion\'s commit, and the deleted entity stays gone', async () => {
        expect(await store.accounts.lock({ user: 'alice', at: T0, reason: 'r', by: 'sam' }, commit('l1', 'alice'))).toBe(true);
        expect(await store.accounts.unlock('alice', commit('u1', 'alice'))).toBe(true);
        expect(await store.accounts.unlock('alice', commit('u2', 'alice'))).toBe(false);
        await store.relayPendingCommits();
        expect(await store.accounts.findLock('alice')).toBeNull();
        expect(await store.accounts.listLocks()).toEqual([]);
        expect((await store.audit.list({})).records.map((r) => r.object)).toEqual(['alice', 'alice']);
        // Locked again after the unlock: a new lock, with its own commit.
        expect(await store.accounts.lock({ user: 'alice', at: T0, reason: 'again', by: 'sam' }, commit('l2', 'alice'))).toBe(true);
        expect((await store.accounts.findLock('alice'))?.reason).toBe('again');
        expect((await store.audit.list({})).total).toBe(3);
      });

      it('keeps the chain intact and each commit\'s records in order under concurrent writers', async () => {
        for (let i = 0; i < 6; i++) await store.changes.create(buildChange({ code: `CHG-${i}` }));
        const second = await opened.openSecond();
        try {
          await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? second : store).changes.update(`CHG-${i}`, 0, { status: 'approved' }, commit(`k${i}`, `CHG-${i}`))));
          await Promise.all([store.relayPendingCommits(), second.relayPendingCommits()]);
        } finally {
          await second.close();
        }
        const verifier = new ChainVerifier();
        const { records } = await store.audit.list({});
        for (const record of records) expect(verifier.add(record)).toBe(true);
        expect(verifier.finish(await store.audit.head())).toMatchObject({ ok: true, count: 6 });
        expect(records.map((r) => r.object).sort()).toEqual(['CHG-0', 'CHG-1', 'CHG-2', 'CHG-3', 'CHG-4', 'CHG-5']);
        expect((await store.outbox.list({})).length).toBe(6);
      });
    });

    describe('services on this store', () => {
      const input = {
        title: 'Restart nginx',
        group: 'web-ops',
        devices: ['web01'],
        script: 'systemctl restart nginx',
        windowStart: new Date(T0.getTime() + HOUR),
        windowEnd: new Date(T0.getTime() + 2 * HOUR),
      };

      it('two concurrent approvals of a quorum-1 change make exactly one transition', async () => {
        const second = await opened.openSecond();
        try {
          const one = await serviceHarness(store);
          const two = await serviceHarness(second);
          const change = await registerChange(one.deps, input, { userId: 'alice', terminal: 'test' });
          const results = await Promise.allSettled([
            approveChange(one.deps, change.code, { userId: 'bob', terminal: 'test' }),
            approveChange(two.deps, change.code, { userId: 'carol', terminal: 'test' }),
          ]);
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect(lost[0]!.reason).toBeInstanceOf(ServiceError);
          expect((lost[0]!.reason as ServiceError).kind).toBe('conflict');
          const stored = await store.changes.findByCode(change.code);
          expect(stored).toMatchObject({ status: 'approved', version: 1 });
          expect(stored?.approvals).toHaveLength(1);
          const approvals = (await store.audit.list({ eventType: 'APPROVE' })).records;
          expect(approvals.map((r) => r.status).sort()).toEqual(['D', 'S']);
        } finally {
          await second.close();
        }
      });

      it('two concurrent approvals of a quorum-2 change are both counted and approve it once', async () => {
        const second = await opened.openSecond();
        try {
          const policy = buildPolicy({ groups: [buildGroup({ approvals: 2 })] });
          const one = await serviceHarness(store, { policy });
          const two = await serviceHarness(second, { policy });
          const change = await registerChange(one.deps, input, { userId: 'alice', terminal: 'test' });
          const results = await Promise.all([
            approveChange(one.deps, change.code, { userId: 'bob', terminal: 'test' }),
            approveChange(two.deps, change.code, { userId: 'carol', terminal: 'test' }),
          ]);
          expect(results.filter((r) => r.approved)).toHaveLength(1);
          const stored = await store.changes.findByCode(change.code);
          expect(stored?.status).toBe('approved');
          expect(stored?.approvals.map((a) => a.approver).sort()).toEqual(['bob', 'carol']);
        } finally {
          await second.close();
        }
      });
    });
  });
}
