import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { AuditRecord } from '../../src/domain/audit/auditRecord.js';
import type { Change } from '../../src/domain/change/change.js';
import { hashScript } from '../../src/domain/change/scriptHash.js';
import type { OutboxMessage } from '../../src/store/outboxRepository.js';
import type { Store } from '../../src/store/store.js';
import { FakeSlackApi } from '../support/fakeSlackApi.js';
import { runCliProcess } from '../support/runCliProcess.js';
import { slackUserRequests, type SlackUserRequests } from '../support/slackUserRequests.js';

/**
 * The crash test's machinery, for each store: the real product process (`tsx src/main.ts`)
 * driven over Slack's signed HTTP requests (files, approvals, rejections, revocations), a
 * policy file re-imported with a change at every start, and SIGKILL at random moments,
 * including during start-up; then every change's state is held against its audit records and
 * its outbox rows, and the chain is verified.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SIGNING_SECRET = 'crash-test-signing-secret-0123456789';
const SLACK = { alice: 'U01ALICE', bob: 'U01BOB' } as const;
const SCRIPT = 'systemctl reload nginx';
const HOUR = 3_600_000;

export type Plan = 'approved' | 'rejected' | 'revoked';
export const planOf = (i: number): Plan => (['approved', 'rejected', 'revoked'] as const)[i % 3]!;
export const codeOf = (i: number) => `CHG-K${i}`;

export interface CrashRun {
  readonly rounds: number;
  readonly kills: number;
  readonly killsDuringStart: number;
  readonly extraUsers: readonly string[];
}

/** The policy of round `round`: each start imports it, and each round adds a user, so every import changes something. */
export function writePolicy(file: string, round: number): string[] {
  const extras = Array.from({ length: round }, (_, n) => `extra-${n + 1}`);
  writeFileSync(
    file,
    [
      'users:',
      '  - { id: alice, slack: U01ALICE, name: Alice, roles: [requester] }',
      '  - { id: bob, slack: U01BOB, name: Bob, roles: [approver] }',
      '  - { id: erin, slack: U01ERIN, name: Erin, roles: [auditor] }',
      ...extras.map((id) => `  - { id: ${id}, name: Extra ${id}, roles: [requester] }`),
      'groups:',
      '  - { id: web-ops, members: [alice], approvers: [bob], approvals: 1, devices: [web01], channel: C01WEBOPS }',
      'devices:',
      '  - { id: web01, host: 127.0.0.1, port: 22, user: deploy, credential: { passwordEnv: WEB01_PASSWORD } }',
      'channels: { approvals: C01APPROVALS, security: C01SECURITY, audit: C01AUDIT }',
      '',
    ].join('\n'),
  );
  return extras;
}

interface Product {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  output(): string;
}

function startProduct(env: NodeJS.ProcessEnv): Product {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Settles as soon as the process says it started, or exits first (killed while starting).
  const ready = new Promise<void>((resolve, reject) => {
    const look = () => {
      if (output.includes('changeguard started')) return resolve();
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`changeguard exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-4000)}`));
      setTimeout(look, 25);
    };
    look();
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => output };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Moves change `i` one step towards its plan (file, then approve or reject, then revoke),
 * reading where it stands from the store; returns true once it is there. A request the kill
 * cuts short simply leaves the change where it was.
 */
async function advance(i: number, store: Store, slack: SlackUserRequests): Promise<boolean> {
  const code = codeOf(i);
  const plan = planOf(i);
  const change = await store.changes.findByCode(code);
  if (change?.status === plan) return true;
  if (!change) {
    const start = new Date(Date.now() + 24 * HOUR);
    await slack.submit(
      SLACK.alice,
      'new_change',
      {
        code: { value: { type: 'plain_text_input', value: code } },
        title: { value: { type: 'plain_text_input', value: `Crash-tested change ${i}` } },
        description: { value: { type: 'plain_text_input', value: '' } },
        windowStart: { value: { type: 'datetimepicker', selected_date_time: Math.floor(start.getTime() / 1000) } },
        windowEnd: { value: { type: 'datetimepicker', selected_date_time: Math.floor((start.getTime() + 2 * HOUR) / 1000) } },
        group: { new_change_group: { type: 'static_select', selected_option: { value: 'web-ops', text: { type: 'plain_text', text: 'web-ops' } } } },
        'devices:web-ops': { value: { type: 'multi_static_select', selected_options: [{ value: 'web01' }] } },
        script: { value: { type: 'plain_text_input', value: SCRIPT } },
      },
      JSON.stringify({ devicesBlock: 'devices:web-ops' }),
    );
    return false;
  }
  if (change.status === 'pending_approval' && plan === 'rejected') {
    await slack.submit(SLACK.bob, 'reject_change', { reason: { value: { type: 'plain_text_input', value: `not now (${i})` } } }, JSON.stringify({ code }));
  } else if (change.status === 'pending_approval') {
    await slack.click(SLACK.bob, 'change_approve', JSON.stringify({ code, scriptHash: hashScript(SCRIPT) }));
  } else if (change.status === 'approved' && plan === 'revoked') {
    await slack.command(SLACK.bob, `revoke ${code} freeze after change ${i}`);
  } else {
    throw new Error(`${code} is ${change.status}, which its plan (${plan}) never leads to`);
  }
  return false;
}

/**
 * Runs `total` changes to their plans through the product, killing it with SIGKILL at random
 * moments (every third round during start-up, while the policy file is being imported) and
 * starting it again, until every change got where its plan leads; then one last clean start
 * and stop.
 */
export async function crashWhileWorking(options: {
  readonly total: number;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Reads the product's store while it runs (WAL readers on SQLite, a connection on MongoDB). */
  readonly openStore: () => Promise<Store>;
  readonly workers?: number;
  /**
   * How long a working round may run before its kill, at random in [min, max) ms (also cut
   * short by a random request budget). Slower stores need longer for the same work per round.
   */
  readonly killWindowMs?: readonly [number, number];
}): Promise<CrashRun> {
  const [windowMin, windowMax] = options.killWindowMs ?? [200, 1500];
  const fake = await FakeSlackApi.start();
  const policyFile = join(options.dir, 'policy.yml');
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    POLICY_FILE: policyFile,
    SLACK_BOT_TOKEN: 'xoxb-crash-test',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    LOG_LEVEL: 'info',
  };
  const slack = slackUserRequests(`http://127.0.0.1:${env.PORT}/slack/events`, SIGNING_SECRET, (id) => fake.responseUrl(id));
  const done = new Set<number>();
  let rounds = 0;
  let kills = 0;
  let killsDuringStart = 0;
  let extraUsers: string[] = [];
  let store: Store | undefined;
  try {
    store = await options.openStore();
    while (done.size < options.total) {
      rounds++;
      if (rounds > 120) throw new Error(`after ${rounds - 1} rounds only ${done.size} of ${options.total} changes got where their plan leads`);
      extraUsers = writePolicy(policyFile, rounds);
      const product = startProduct(env);
      if (rounds % 3 === 0) {
        // Killed while starting: the policy import at start is one of the writes cut short.
        // Start-up takes about 1.2 s here (more on a slower machine), so nearly every such kill
        // lands before 'changeguard started', at a different point of it each time.
        await Promise.race([sleep(150 + Math.random() * 1000), product.exited]);
        if (product.child.exitCode === null && product.child.signalCode === null) {
          const started = product.output().includes('changeguard started');
          product.child.kill('SIGKILL');
          kills++;
          if (!started) killsDuringStart++;
        }
        await product.exited;
        continue;
      }
      const spawnedAt = Date.now();
      await product.ready;
      if (process.env.CRASH_TEST_TRACE) process.stdout.write(`round ${rounds}: ready after ${Date.now() - spawnedAt} ms, ${done.size} done\n`);
      let alive = true;
      // The kill comes after a random number of requests as well as at a random time: on a
      // fast machine all 200 changes could otherwise be done within the first timed window,
      // and the test would prove little about kills.
      let requestsLeft = 20 + Math.floor(Math.random() * 100);
      let killNow: () => void = () => undefined;
      const requestBudgetSpent = new Promise<void>((resolve) => (killNow = resolve));
      const work = async (worker: number, workers: number) => {
        for (let i = worker; alive && i < options.total; i += workers) {
          while (alive && !done.has(i)) {
            if (--requestsLeft <= 0) killNow();
            try {
              if (await advance(i, store!, slack)) done.add(i);
            } catch (error) {
              if (!alive) return;
              // The product went away mid-request, or is not listening yet.
              if (/fetch failed|ECONNREFUSED|ECONNRESET|socket hang up|other side closed/i.test(String((error as Error).cause ?? error))) await sleep(50);
              else throw error;
            }
            await sleep(5);
          }
        }
      };
      const workers = options.workers ?? 4;
      const running = Promise.all(Array.from({ length: workers }, (_, w) => work(w, workers)));
      await Promise.race([sleep(windowMin + Math.random() * (windowMax - windowMin)), running, requestBudgetSpent]);
      alive = false;
      if (product.child.exitCode === null) {
        product.child.kill('SIGKILL');
        kills++;
      }
      await product.exited;
      const killedAt = Date.now();
      await running;
      if (process.env.CRASH_TEST_TRACE) process.stdout.write(`round ${rounds}: workers stopped ${Date.now() - killedAt} ms after the kill\n`);
      for (let i = 0; i < options.total; i++) {
        if (!done.has(i) && (await store.changes.findByCode(codeOf(i)))?.status === planOf(i)) done.add(i);
      }
    }
    // A last, clean run: it imports the last policy, relays what a kill left (MongoDB), and stops.
    const lastAt = Date.now();
    const last = startProduct(env);
    await last.ready;
    await sleep(1500);
    last.child.kill('SIGTERM');
    await last.exited;
    if (process.env.CRASH_TEST_TRACE) process.stdout.write(`last run: ${Date.now() - lastAt} ms\n`);
    return { rounds, kills, killsDuringStart, extraUsers };
  } finally {
    await store?.close();
    await fake.close();
  }
}

/** Every record of the trail, in order. */
async function trail(store: Store): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const record of store.audit.iterate()) records.push(record);
  return records;
}

/**
 * What must hold after any crash: each change's status is matched by exactly the success
 * records of the steps that led there and by the outbox rows those steps raise, no step left
 * a record or a notification without its state (nor the reverse), every imported user has its
 * CREATE record and its Audit trail announcement, and the chain verifies.
 */
export async function expectConsistent(store: Store, run: CrashRun, total: number, cliEnv: NodeJS.ProcessEnv): Promise<void> {
  const records = await trail(store);
  const outbox: OutboxMessage[] = await store.outbox.list({});
  const rowKeys = new Set(outbox.map((row) => row.dedupeKey).filter((key): key is string => key !== undefined));
  const successes = (eventType: string, code: string) => records.filter((r) => r.status === 'S' && r.eventType === eventType && r.change === code);

  const changes: Change[] = await store.changes.list({});
  const ours = changes.filter((c) => /^CHG-K\d+$/.test(c.code));
  expect(ours.length).toBe(total);
  for (const change of ours) {
    const i = Number(change.code.slice('CHG-K'.length));
    const where = `${change.code} (${change.status})`;
    expect(change.status, where).toBe(planOf(i));
    expect(successes('CREATE', change.code), where).toHaveLength(1);
    expect(rowKeys.has(`request:${change.code}|user:alice`), `${where}: its request to the requester`).toBe(true);
    expect(rowKeys.has(`request:${change.code}|user:bob`), `${where}: its request to the approver`).toBe(true);
    const approved = change.status === 'approved' || change.status === 'revoked';
    expect(successes('APPROVE', change.code), where).toHaveLength(approved ? 1 : 0);
    expect(rowKeys.has(`outcome:${change.code}:approved|user:alice`), `${where}: the approval told to the requester`).toBe(approved);
    expect(successes('REJECT', change.code), where).toHaveLength(change.status === 'rejected' ? 1 : 0);
    expect(rowKeys.has(`outcome:${change.code}:rejected|user:alice`), `${where}: the rejection told to the requester`).toBe(change.status === 'rejected');
    expect(successes('REVOKE', change.code), where).toHaveLength(change.status === 'revoked' ? 1 : 0);
    expect(rowKeys.has(`outcome:${change.code}:revoked|user:alice`), `${where}: the revocation told to the requester`).toBe(change.status === 'revoked');
  }
  // No record of a step whose state was lost.
  for (const record of records.filter((r) => r.status === 'S' && r.change?.startsWith('CHG-K'))) {
    expect(ours.some((c) => c.code === record.change), `${record.eventType} ${record.change}: a record without its change`).toBe(true);
  }

  const policy = await store.policy.load();
  const imported = policy.users.map((u) => u.id).filter((id) => id.startsWith('extra-'));
  expect(imported.sort()).toEqual([...run.extraUsers].sort());
  const announced = outbox.filter((row) => row.type === 'audit.trail').map((row) => String((row.payload as { details?: { summary?: string } }).details?.summary));
  for (const user of imported) {
    expect(records.filter((r) => r.status === 'S' && r.eventType === 'CREATE' && r.class === 'USER' && r.object === user), `the CREATE record of ${user}`).toHaveLength(1);
    expect(announced.filter((summary) => summary.includes(`USER ${user} created`)), `the Audit trail announcement of ${user}`).toHaveLength(1);
  }
  for (const record of records.filter((r) => r.class === 'USER' && r.eventType === 'CREATE' && r.object?.startsWith('extra-'))) {
    expect(imported, `${record.object}: a CREATE record without its user`).toContain(record.object);
  }

  const verify = await runCliProcess(['audit', 'verify', '--json'], { env: cliEnv });
  expect(verify.stderr).toBe('');
  expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, count: records.length });
  expect(verify.code).toBe(0);
}
