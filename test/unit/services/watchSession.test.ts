import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/domain/session/session.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { terminateSession } from '../../../src/services/sessions/sessionControl.js';
import { watchSession, type WatchEvent } from '../../../src/services/sessions/watchSession.js';
import { FileRecordingStore } from '../../../src/store/files/fileRecordingStore.js';
import type { RecordingWriter } from '../../../src/store/recordingStore.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { buildOpenApprovedChange, buildPolicy, buildUser, T0 } from '../../support/factories.js';
import { serviceHarness } from '../../support/serviceHarness.js';

let store: SqliteStore;
let deps: ServiceDeps;
let dir: string;
let recordings: FileRecordingStore;
let writer: RecordingWriter;
const erin = { userId: 'erin', terminal: 'web 10.0.0.5' };
const sam = { userId: 'sam', terminal: 'web 10.0.0.6' };
const fast = { pollMs: 10, endGraceMs: 50, recheckMs: 20 };

function session(overrides: Partial<Session> = {}): Session {
  return { id: 's1', changeCode: 'CHG-1', user: 'alice', device: 'web01', kind: 'shell', justification: 'j', clientAddress: '127.0.0.1', startedAt: T0, state: 'active', ...overrides };
}

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  const policy = buildPolicy();
  ({ deps } = await serviceHarness(store, { policy: { ...policy, users: [...policy.users, buildUser({ id: 'sam', roles: ['security'] }), buildUser({ id: 'ada', roles: ['admin'] })] } }));
  await store.changes.create(buildOpenApprovedChange(T0, { code: 'CHG-1' }));
  dir = mkdtempSync(join(tmpdir(), 'changeguard-watch-'));
  recordings = new FileRecordingStore(dir);
  writer = await recordings.create('s1');
  await writer.append('{"version":2,"width":100,"height":30,"timestamp":1}\n[0.1, "o", "alice@web01:~$ "]\n');
});
afterEach(async () => {
  await writer.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Reads events until `until` holds for one (inclusive) or the stream ends. */
async function take(events: AsyncGenerator<WatchEvent>, until: (event: WatchEvent) => boolean): Promise<WatchEvent[]> {
  const seen: WatchEvent[] = [];
  // next() by hand: leaving a for-await loop would end the watch.
  for (let step = await events.next(); !step.done; step = await events.next()) {
    seen.push(step.value);
    if (until(step.value)) break;
  }
  return seen;
}

const watchRecords = async () => (await store.audit.list({ eventType: 'WATCH' })).records;

describe('watching a live session', () => {
  it('refuses people without a watching role, on record, before anything is read', async () => {
    await store.sessions.create(session());
    for (const userId of ['alice', 'bob']) {
      const refusal = await watchSession(deps, recordings, { userId, terminal: 'web' }, 's1', { signal: new AbortController().signal }).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(ServiceError);
      expect((refusal as ServiceError).kind).toBe('forbidden');
      expect((refusal as ServiceError).message).toBe('watching a live session needs one of the roles auditor, security, admin');
    }
    expect(await watchRecords()).toMatchObject([
      { status: 'D', actor: 'alice', object: 's1', class: 'SESSION' },
      { status: 'D', actor: 'bob', object: 's1', class: 'SESSION' },
    ]);
  });

  it('shows what the terminal showed, then what comes, and ends with the session; both ends audited', async () => {
    await store.sessions.create(session());
    const controller = new AbortController();
    const watch = await watchSession(deps, recordings, erin, 's1', { signal: controller.signal, timings: fast });
    expect(watch.session.id).toBe('s1');
    expect(await watchRecords()).toMatchObject([{ status: 'S', actor: 'erin', object: 's1', change: 'CHG-1', details: "started watching alice's live session on web01" }]);

    const first = await take(watch.events, (e) => e.type === 'output');
    expect(first).toEqual([{ type: 'size', cols: 100, rows: 30 }, { type: 'output', data: 'alice@web01:~$ ' }]);
    // Keystrokes are not shown (the editor's echo is output), a resize is, a broken line is skipped.
    await writer.append('[1.0, "i", "secret-typed"]\n[1.1, "o", "u"]\n[1.2, "o", "ptime\\r\\n"]\nnot json\n[1.3, "r", "120x40"]\n[1.4, "o", " 09:00 up 3 days\\r\\n"]\n');
    const next = await take(watch.events, (e) => e.type === 'output' && e.data.includes('up 3 days'));
    expect(next).toEqual([{ type: 'output', data: 'uptime\r\n' }, { type: 'size', cols: 120, rows: 40 }, { type: 'output', data: ' 09:00 up 3 days\r\n' }]);

    await terminateSession(deps, 's1', sam, 'looks wrong');
    // The proxy's last words land after the state changed: still shown.
    await writer.append('[2.0, "o", "changeguard: session terminated: looks wrong\\r\\n"]\n');
    const rest: WatchEvent[] = [];
    for await (const event of watch.events) rest.push(event);
    expect(rest).toEqual([
      { type: 'output', data: 'changeguard: session terminated: looks wrong\r\n' },
      { type: 'end', state: 'terminated', reason: 'the session terminated: looks wrong' },
    ]);
    const records = await watchRecords();
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({ status: 'S', actor: 'erin', object: 's1' });
    expect(records[1]!.details).toMatch(/^stopped watching alice's live session on web01 after \d+ s: the session terminated: looks wrong$/);
  });

  it('stops when the watcher leaves, and says so in the trail', async () => {
    await store.sessions.create(session());
    const controller = new AbortController();
    const watch = await watchSession(deps, recordings, sam, 's1', { signal: controller.signal, timings: fast });
    await take(watch.events, (e) => e.type === 'output');
    setTimeout(() => controller.abort(), 30);
    const rest: WatchEvent[] = [];
    for await (const event of watch.events) rest.push(event);
    expect(rest).toEqual([]);
    expect((await watchRecords()).at(-1)!.details).toMatch(/: the watcher left$/);
  });

  it('ends the watch when a policy change takes the right away', async () => {
    await store.sessions.create(session());
    const watch = await watchSession(deps, recordings, erin, 's1', { signal: new AbortController().signal, timings: fast });
    await take(watch.events, (e) => e.type === 'output');
    const policy = buildPolicy();
    await store.policy.apply({ replace: { users: policy.users.map((u) => (u.id === 'erin' ? { ...u, roles: ['requester' as const] } : u)) } });
    const rest: WatchEvent[] = [];
    for await (const event of watch.events) rest.push(event);
    expect(rest.at(-1)).toEqual({ type: 'end', state: undefined, reason: 'you may no longer watch: watching a live session needs one of the roles auditor, security, admin' });
    expect((await watchRecords()).at(-1)!.details).toMatch(/: no longer allowed: watching a live session needs/);
  });

  it('shows an exec session as a terminal would (CR before each bare LF)', async () => {
    await store.sessions.create(session({ kind: 'exec' }));
    await writer.append('[0.2, "o", "one\\ntwo\\r\\nthree\\n"]\n');
    const watch = await watchSession(deps, recordings, erin, 's1', { signal: new AbortController().signal, timings: fast });
    const events = await take(watch.events, (e) => e.type === 'output');
    expect(events.at(-1)).toEqual({ type: 'output', data: 'alice@web01:~$ one\r\ntwo\r\nthree\r\n' });
    await watch.events.return(undefined);
  });

  it('reads a long recording piece after piece without waiting a poll between them', async () => {
    await store.sessions.create(session());
    const line = `[0.3, "o", "${'z'.repeat(1000)}\\r\\n"]\n`;
    await writer.append(line.repeat(3000));
    // A poll a minute: were it waited between the store's pieces (1 MiB each), this would time out.
    const watch = await watchSession(deps, recordings, erin, 's1', { signal: new AbortController().signal, timings: { ...fast, pollMs: 60_000 } });
    const whole = 'alice@web01:~$ '.length + 3000 * 1002;
    let shown = 0;
    while (shown < whole) {
      const step = await watch.events.next();
      if (step.done) break;
      if (step.value.type === 'output') shown += step.value.data.length;
    }
    expect(shown).toBe(whole);
    await watch.events.return(undefined);
  });

  it('refuses an ended session (replay it instead), an unknown one, and a server without recordings', async () => {
    await store.sessions.create(session({ state: 'ended', endedAt: T0 }));
    const signal = new AbortController().signal;
    const ended = (await watchSession(deps, recordings, erin, 's1', { signal }).catch((e: unknown) => e)) as ServiceError;
    expect([ended.kind, ended.message]).toEqual(['conflict', 'session s1 is no longer live (ended): replay its recording instead']);
    expect(((await watchSession(deps, recordings, erin, 'nope', { signal }).catch((e: unknown) => e)) as ServiceError).kind).toBe('not_found');
    await store.sessions.create(session({ id: 's2' }));
    expect(((await watchSession(deps, undefined, erin, 's2', { signal }).catch((e: unknown) => e)) as ServiceError).kind).toBe('unavailable');
    // Nothing was watched, so nothing was recorded as watched.
    expect((await watchRecords()).filter((r) => r.status === 'S')).toEqual([]);
  });
});
