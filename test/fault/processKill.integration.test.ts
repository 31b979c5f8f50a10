import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../src/domain/change/change.js';
import { FileRecordingStore } from '../../src/store/files/fileRecordingStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { parseAsciicast, readAll } from '../support/asciicast.js';
import { buildOpenApprovedChange } from '../support/factories.js';
import { freePort } from '../support/freePort.js';
import { TestTerminal } from '../support/proxyHarness.js';
import { runCliProcess } from '../support/runCliProcess.js';
import { startSshTarget, type SshTarget } from '../support/sshTarget.js';
import { waitFor } from '../support/waitFor.js';
import { generateEd25519KeyPair } from '../../src/proxy/hostKey.js';

/**
 * The real product process (tsx src/main.ts, SQLite in a temporary DATA_DIR) is killed with
 * SIGKILL in the middle of an SSH session, then started again on the same DATA_DIR and ports
 * (the proxy names itself <hostname>:<PROXY_PORT>, which is how it finds what it left open).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The loop prints a numbered tick every 100 ms. */
const TICK_MS = 100;

let target: SshTarget;
let dir: string;
let env: Record<string, string>;
let aliceKey: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  target = await startSshTarget();
  dir = mkdtempSync(join(tmpdir(), 'changeguard-kill-'));
  const alice = generateEd25519KeyPair('alice');
  aliceKey = alice.private;
  writeFileSync(
    join(dir, 'policy.yml'),
    [
      'users:',
      `  - { id: alice, slack: U01ALICE, name: Alice, roles: [requester], sshKeys: ["${alice.public}"] }`,
      '  - { id: bob, slack: U01BOB, name: Bob, roles: [approver] }',
      'groups:',
      '  - { id: web-ops, members: [alice], approvers: [bob], approvals: 1, devices: [web01] }',
      'devices:',
      '  - id: web01',
      `    host: ${target.host}`,
      `    port: ${target.port}`,
      `    user: ${target.user}`,
      `    credential: { privateKeyFile: ${target.deviceKeyFile} }`,
      `    hostKey: "${target.hostKey}"`,
      'channels: { approvals: C01APPROVALS, security: C01SECURITY, audit: C01AUDIT }',
      '',
    ].join('\n'),
  );
  env = {
    DATA_DIR: join(dir, 'data'),
    POLICY_FILE: join(dir, 'policy.yml'),
    PORT: String(await freePort()),
    PROXY_PORT: String(await freePort()),
    MONGODB_URI: '',
    LOG_LEVEL: 'info',
  };
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await target?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ProductProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startProduct(): Promise<ProductProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await waitFor(
    'changeguard to start',
    () => {
      if (child.exitCode !== null) throw new Error(`changeguard exited (${child.exitCode}):\n${output}`);
      return output.includes('changeguard started');
    },
    { timeoutMs: 30_000 },
  );
  return { child, output: () => output, exited };
}

/** An approved change for alice on web01, open now, written to the product's file before it starts. */
async function approvedChange(): Promise<Change> {
  const store = SqliteStore.open(join(env.DATA_DIR!, 'changeguard.db'));
  const change = buildOpenApprovedChange(new Date(), { code: 'CHG-77', title: 'Killed mid-session', script: 'uptime' });
  await store.changes.create(change);
  await store.close();
  return change;
}

describe('when the process is killed mid-session', () => {
  it('keeps the recording up to the last flush, and the restart ends the session abnormally with the audit chain intact', async () => {
    const change = await approvedChange();
    const first = await startProduct();
    const term = await TestTerminal.open(Number(env.PROXY_PORT), `alice+${change.code}+web01`, aliceKey);
    await term.justify();
    const sessionId = /changeguard: session ([0-9a-f-]{36}) on/.exec(term.text())?.[1];
    expect(sessionId).toBeDefined();
    term.type('echo first-$((6*7))\r');
    await term.waitForText('first-42');
    await term.waitForPrompt(2);
    term.type(`for i in $(seq 1 600); do echo tick-$i; sleep ${TICK_MS / 1000}; done\r`);

    // Long enough for several flushes; then the kill, with the last tick the user saw noted.
    const ticksSeen = () => Math.max(0, ...[...term.text().matchAll(/tick-(\d+)/g)].map((m) => Number(m[1])));
    await term.waitFor(() => ticksSeen() >= 40, 'tick 40');
    const lastSeen = ticksSeen();
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await term.waitForClose();

    // On disk as the kill left it: valid asciicast v2 (a last line cut mid-write is tolerated).
    const castFile = join(env.DATA_DIR!, 'recordings', `${sessionId}.cast`);
    const killed = parseAsciicast(readFileSync(castFile, 'utf8'));
    expect(killed.header).toMatchObject({ version: 2, width: 100, height: 30 });
    expect(killed.output).toContain('first-42');
    const recordedTicks = [...killed.output.matchAll(/tick-(\d+)\r?\n/g)].map((m) => Number(m[1]));
    // Flushed every second: at most about a second of output is lost. The margin (3 s of
    // ticks) allows for a loaded machine; what was recorded is the ticks in order, none skipped.
    expect(Math.max(...recordedTicks)).toBeGreaterThanOrEqual(lastSeen - 3000 / TICK_MS);
    expect(recordedTicks).toEqual(recordedTicks.map((_, index) => index + 1));

    const second = await startProduct();
    try {
      expect(second.output()).toContain('sessions left open by an earlier run marked ended_abnormally');
      const store = SqliteStore.open(join(env.DATA_DIR!, 'changeguard.db'), { readonly: true });
      try {
        const session = await store.sessions.findById(sessionId!);
        expect(session).toMatchObject({ state: 'ended_abnormally', endReason: 'the proxy stopped while the session was open' });
        expect(session!.endedAt!.getTime()).toBeGreaterThan(session!.startedAt.getTime());
        // The Remote Session end is raised (here, without Slack, it stays in the outbox).
        const ended = await waitFor('the session end notification', async () =>
          (await store.outbox.list({ audience: 'role:security' })).find((m) => m.type === 'session.terminated' && m.dedupeKey === `session.terminated:${sessionId}|role:security`),
        );
        expect(ended.payload).toMatchObject({ reason: 'the proxy stopped while the session was open', details: { state: 'ended_abnormally' } });
      } finally {
        await store.close();
      }
      // Replayable through the recording store, holding what was on disk after the kill.
      const replay = await new FileRecordingStore(join(env.DATA_DIR!, 'recordings')).open(sessionId!);
      expect(replay).not.toBeNull();
      const replayed = parseAsciicast(await readAll(replay!));
      expect(replayed.events.length).toBe(killed.events.length);

      const verify = await runCliProcess(['audit', 'verify', '--json'], { env: { DATA_DIR: env.DATA_DIR!, MONGODB_URI: '' } });
      expect(verify.stderr).toBe('');
      expect(verify.code).toBe(0);
      const chain = JSON.parse(verify.stdout) as { ok: boolean; count: number };
      expect(chain).toMatchObject({ ok: true });
      expect(chain.count).toBeGreaterThan(3);
    } finally {
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    }
  });
});
