/**
 * `npm run test:load`: the whole product in its own process on the embedded default store,
 * a real sshd as the device and a fake Slack Web API, all on 127.0.0.1. 200 interactive
 * sessions run commands through the proxy for 60 s while Slack sends 50 interactions/s.
 * Then it checks nothing was lost (every command recorded with its verdict, every session
 * ended, every Slack answer and notification delivered, the audit chain intact) and prints
 * errors, memory growth and latency percentiles; JSON in bench/results/load.json.
 *
 * Knobs: LOAD_SESSIONS (200), LOAD_SECONDS (60), LOAD_SLACK_PER_SECOND (50), and LOAD_STORE:
 * `sqlite` (the embedded default) or `mongo` (a fresh database on the server in MONGODB_URI,
 * else on FerretDB started here, built as the test suite builds it). Needs root and Debian's
 * openssh-server, like the proxy tests. Exits 1 on any error or loss. JSON in
 * bench/results/load.json (load-mongo.json for the MongoDB run).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { generateEd25519KeyPair } from '../../src/proxy/hostKey.js';
import { hashScript } from '../../src/domain/change/scriptHash.js';
import { AuditTrail } from '../../src/services/audit/auditTrail.js';
import { MongoStore } from '../../src/store/mongo/mongoStore.js';
import { openRecordingStore } from '../../src/store/openRecordingStore.js';
import type { RecordingStore } from '../../src/store/recordingStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import type { Store } from '../../src/store/store.js';
import { FakeSlackApi } from '../../test/support/fakeSlackApi.js';
import { ensureFerretdbBinary, startFerretdb, type RunningFerretdb } from '../../test/support/ferretdb.js';
import { freePort } from '../../test/support/freePort.js';
import { slackUserRequests } from '../../test/support/slackUserRequests.js';
import { startSshTarget } from '../../test/support/sshTarget.js';
import { formatTable, type BenchRow } from '../lib/benchRow.js';
import { NEW_CHANGE_CALLBACK_ID, newChangeFormMetadata, newChangeFormValues, type NewChangeForm } from '../lib/newChangeForm.js';
import { percentiles } from '../lib/percentiles.js';
import { protocolLeaks } from '../lib/protocolLeaks.js';
import { LOAD_SLACK_USERS, loadPolicyYaml } from './loadPolicy.js';
import { startProductProcess } from '../../test/support/productProcess.js';
import { runProxyTraffic } from './proxyTraffic.js';
import { runSlackTraffic } from './slackTraffic.js';

const SESSIONS = positive('LOAD_SESSIONS', 200);
const SECONDS = positive('LOAD_SECONDS', 60);
const SLACK_PER_SECOND = positive('LOAD_SLACK_PER_SECOND', 50);
const STORE = storeKind();
const SIGNING_SECRET = 'load-test-signing-secret-0123456789';
const SCRIPT = 'echo hello\nsystemctl status nginx';
const MiB = 2 ** 20;

const dir = mkdtempSync(join(tmpdir(), 'changeguard-load-'));
const target = await startSshTarget();
const fake = await FakeSlackApi.start();
const alice = generateEd25519KeyPair('alice');
writeFileSync(join(dir, 'policy.yml'), loadPolicyYaml(target, alice.public));
const dataDir = join(dir, 'data');
const port = await freePort();
const proxyPort = await freePort();
const database = STORE === 'mongo' ? await mongoDatabase() : undefined;
const product = await startProductProcess({
  ...(database ? { MONGODB_URI: database.uri } : {}),
  DATA_DIR: dataDir,
  POLICY_FILE: join(dir, 'policy.yml'),
  PORT: String(port),
  PROXY_PORT: String(proxyPort),
  SLACK_BOT_TOKEN: 'xoxb-load-test',
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: fake.apiUrl,
  LOG_LEVEL: 'info',
});
let failures: string[] = [];
try {
  const slack = slackUserRequests(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, (id) => fake.responseUrl(id));
  const rssAtStart = product.rss();

  // File the change in Slack and have bob approve it there, as users do.
  const windowStart = new Date(Math.ceil((Date.now() + 5000) / 1000) * 1000);
  const form: NewChangeForm = { code: 'CHG-LOAD', title: 'Load test', group: 'web-ops', devices: ['web01'], script: SCRIPT, windowStart, windowEnd: new Date(windowStart.getTime() + 3600_000) };
  const filed = await slack.submit(LOAD_SLACK_USERS.alice, NEW_CHANGE_CALLBACK_ID, newChangeFormValues(form), newChangeFormMetadata(form));
  const filedBody = await filed.text();
  if (filed.status !== 200 || filedBody.includes('"errors"')) throw new Error(`filing the change failed: ${filed.status} ${filedBody}`);
  const approveValue = JSON.stringify({ code: form.code, scriptHash: hashScript(SCRIPT) });
  await (await slack.click(LOAD_SLACK_USERS.bob, 'change_approve', approveValue, 'approve')).arrayBuffer();
  await until(() => fake.responsesTo('approve').length > 0, 'the approval answer', 10_000);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowStart.getTime() - Date.now() + 200)));

  process.stderr.write(`${SESSIONS} sessions for ${SECONDS} s, ${SLACK_PER_SECOND} Slack interactions/s...\n`);
  const rssSamples: number[] = [];
  const [proxy, slackResult] = await Promise.all([
    runProxyTraffic({
      port: proxyPort,
      login: `alice+${form.code}+web01`,
      privateKey: alice.private,
      sessions: SESSIONS,
      seconds: SECONDS,
      onTick: () => rssSamples.push(product.rss()),
    }),
    // Slack traffic starts with the sessions' set-up and lasts as long as the commands do.
    runSlackTraffic(slack, { perSecond: SLACK_PER_SECOND, seconds: SECONDS, changeCode: form.code, approveValue }),
  ]);
  const rssUnderLoad = rssSamples[0] ?? product.rss();
  const rssLastUnderLoad = rssSamples.at(-1) ?? rssUnderLoad;

  // Nothing lost: read the product's store (the CLI does the same while the server runs).
  const store: Store = database ? await MongoStore.connect(database.uri) : SqliteStore.open(join(dataDir, 'changeguard.db'));
  try {
    await until(async () => (await store.sessions.listActive()).length === 0, 'every session to be recorded as ended', 60_000);
    const pendingStatuses = ['pending', 'sending'] as const;
    await until(async () => (await store.outbox.list({ statuses: [...pendingStatuses], limit: 1 })).length === 0, 'the outbox to drain', 120_000);
    await until(() => fake.responses.length >= slackResult.acknowledged + 1, 'every Slack answer at its response URL', 60_000).catch(() => undefined);
    const sessions = await store.sessions.listByChange(form.code);
    const commands = await store.commands.listByChange(form.code);
    const allowed = commands.filter((c) => c.verdict === 'allow').length;
    const blocked = commands.filter((c) => c.verdict === 'block').length;
    const failedNotifications = await store.outbox.list({ statuses: ['failed'], limit: 1000 });
    const chain = await new AuditTrail(store.audit, () => new Date()).verify();
    const answered = fake.responses.filter((r) => r.id.startsWith('load-')).length;
    const recordingLeaks = await protocolLeaksInRecordings(await openRecordingStore(store, dataDir), sessions.map((session) => session.id));

    failures = [
      ...proxy.errors,
      ...slackResult.errors,
      ...(proxy.sessionsOpened === SESSIONS ? [] : [`${SESSIONS - proxy.sessionsOpened} sessions failed to open`]),
      ...(sessions.length === proxy.sessionsOpened ? [] : [`${sessions.length} sessions stored for ${proxy.sessionsOpened} opened`]),
      ...(sessions.every((s) => s.state === 'ended') ? [] : [`sessions not ended cleanly: ${sessions.filter((s) => s.state !== 'ended').map((s) => `${s.id} ${s.state}`).join(', ')}`]),
      ...(allowed === proxy.allowedSent ? [] : [`${allowed} allowed commands recorded for ${proxy.allowedSent} typed`]),
      ...(blocked === proxy.blockedSent ? [] : [`${blocked} blocked commands recorded for ${proxy.blockedSent} typed`]),
      ...(answered === slackResult.acknowledged ? [] : [`${answered} Slack answers delivered for ${slackResult.acknowledged} acknowledged interactions`]),
      ...failedNotifications.map((m) => `notification ${m.id} failed: ${m.lastError ?? ''}`),
      ...(chain.ok ? [] : [`audit chain broken: ${JSON.stringify(chain)}`]),
      ...(proxy.protocolLeaks === 0 ? [] : [`${proxy.protocolLeaks} pieces of changeguard's device protocol shown to users`]),
      ...(recordingLeaks === 0 ? [] : [`${recordingLeaks} pieces of changeguard's device protocol in recordings`]),
    ];

    const [setupP50, setupP99] = percentiles(proxy.setupMs, [0.5, 0.99]);
    const [cmdP50, cmdP95, cmdP99] = percentiles(proxy.commandMs, [0.5, 0.95, 0.99]);
    const [blockP50, blockP99] = percentiles(proxy.blockMs, [0.5, 0.99]);
    const [ackP50, ackP95, ackP99] = percentiles(slackResult.ackMs, [0.5, 0.95, 0.99]);
    const rows: BenchRow[] = [
      { area: 'load', metric: `errors (sessions, commands, Slack, losses), store: ${database ? database.describe : 'SQLite'}`, value: failures.length, unit: '', target: '0', met: failures.length === 0 },
      { area: 'load: proxy', metric: 'sessions opened / asked', value: proxy.sessionsOpened, unit: `/ ${SESSIONS}` },
      { area: 'load: proxy', metric: 'session set-up p50 / p99', value: setupP50!, unit: `ms / ${setupP99!.toFixed(0)} ms` },
      { area: 'load: proxy', metric: `allowed commands (${proxy.allowedSent}) Enter to output p50`, value: cmdP50!, unit: 'ms' },
      { area: 'load: proxy', metric: 'allowed commands p95 / p99', value: cmdP95!, unit: `ms / ${cmdP99!.toFixed(1)} ms` },
      { area: 'load: proxy', metric: `blocked commands (${proxy.blockedSent}) Enter to refusal p50 / p99`, value: blockP50!, unit: `ms / ${blockP99!.toFixed(1)} ms` },
      { area: 'load: proxy', metric: 'commands per second (all sessions)', value: (proxy.allowedSent + proxy.blockedSent) / SECONDS, unit: '/s' },
      { area: 'load: Slack', metric: `interactions acknowledged / sent`, value: slackResult.acknowledged, unit: `/ ${slackResult.sent}` },
      { area: 'load: Slack', metric: 'ack p50 / p95', value: ackP50!, unit: `ms / ${ackP95!.toFixed(1)} ms` },
      { area: 'load: Slack', metric: 'ack p99 (Slack allows 3,000)', value: ackP99!, unit: 'ms', target: '< 3,000', met: ackP99! < 3000 },
      { area: 'load: memory', metric: 'product RSS before load', value: rssAtStart / MiB, unit: 'MiB' },
      { area: 'load: memory', metric: 'product RSS, first sample under load', value: rssUnderLoad / MiB, unit: 'MiB' },
      { area: 'load: memory', metric: 'product RSS peak', value: Math.max(rssAtStart, ...rssSamples) / MiB, unit: 'MiB' },
      { area: 'load: memory', metric: 'product RSS growth under load (last - first sample)', value: (rssLastUnderLoad - rssUnderLoad) / MiB, unit: 'MiB' },
      { area: 'load: memory', metric: 'product RSS after the sessions closed', value: product.rss() / MiB, unit: 'MiB' },
      { area: 'load: records', metric: 'commands recorded (allowed + blocked)', value: allowed + blocked, unit: `/ ${proxy.allowedSent + proxy.blockedSent} typed` },
      { area: 'load: records', metric: 'audit records, chain verified', value: chain.count, unit: chain.ok ? 'ok' : 'BROKEN' },
      { area: 'load: capture', metric: 'protocol pieces in client streams', value: proxy.protocolLeaks, unit: '', target: '0', met: proxy.protocolLeaks === 0 },
      { area: 'load: capture', metric: 'protocol pieces in recordings', value: recordingLeaks, unit: '', target: '0', met: recordingLeaks === 0 },
    ];
    process.stdout.write(`${formatTable(rows)}\n`);
    if (failures.length > 0) process.stdout.write(`\nErrors (${failures.length}, first 20):\n${failures.slice(0, 20).map((f) => `- ${f}`).join('\n')}\n`);
    const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) };
    mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
    writeFileSync(
      new URL(STORE === 'mongo' ? '../results/load-mongo.json' : '../results/load.json', import.meta.url),
      `${JSON.stringify({ at: new Date().toISOString(), machine, store: database?.describe ?? 'SQLite', settings: { sessions: SESSIONS, seconds: SECONDS, slackPerSecond: SLACK_PER_SECOND }, rows, errors: failures, rssSamplesMiB: rssSamples.map((r) => Math.round(r / MiB)) }, null, 2)}\n`,
    );
  } finally {
    await store.close();
  }
} catch (error) {
  failures = [...failures, (error as Error).message];
  process.stderr.write(`load test failed: ${(error as Error).stack}\n\nproduct output:\n${product.output().slice(-3000)}\n`);
} finally {
  const code = await product.stop();
  if (code !== 0) failures.push(`the product exited with ${code} on SIGTERM`);
  await fake.close();
  await target.stop();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failures.length === 0 ? 0 : 1);

function storeKind(): 'sqlite' | 'mongo' {
  const raw = process.env.LOAD_STORE ?? 'sqlite';
  if (raw === 'sqlite' || raw === 'mongo') return raw;
  process.stderr.write(`LOAD_STORE must be sqlite or mongo, got "${raw}"\n`);
  process.exit(2);
}

/** A throwaway database: on the server in MONGODB_URI, else on FerretDB started for the run. */
async function mongoDatabase(): Promise<{ uri: string; describe: string; drop: () => Promise<void> }> {
  let ferretdb: RunningFerretdb | undefined;
  let server = process.env.MONGODB_URI;
  if (!server) {
    const binary = ensureFerretdbBinary((line) => process.stderr.write(`${line}\n`));
    if ('unavailable' in binary) {
      process.stderr.write(`LOAD_STORE=mongo needs MONGODB_URI or FerretDB: ${binary.unavailable}\n`);
      process.exit(2);
    }
    ferretdb = await startFerretdb(binary.path);
    server = ferretdb.uri;
  }
  const url = new URL(server);
  url.pathname = `/changeguard_load_${Date.now()}`;
  return {
    uri: url.toString(),
    describe: ferretdb ? 'FerretDB 1.24.2 (SQLite)' : 'MongoDB (MONGODB_URI)',
    drop: async () => {
      const store = await MongoStore.connect(url.toString());
      await store.connection.dropDatabase();
      await store.close();
      await ferretdb?.stop();
    },
  };
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`${name} must be a positive number, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Reads every asciicast under `dir` and counts pieces of the device protocol in its events. */
/** Read through the product's recording store: files on SQLite, chunks in the database on MongoDB. */
async function protocolLeaksInRecordings(recordings: RecordingStore, sessionIds: readonly string[]): Promise<number> {
  let leaks = 0;
  for (const id of sessionIds) {
    const stream = await recordings.open(id);
    if (stream === null) continue;
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    const [, ...events] = text.trimEnd().split('\n');
    for (const line of events) {
      const event = JSON.parse(line) as [number, string, string];
      leaks += protocolLeaks(event[2]);
    }
  }
  return leaks;
}
