import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashScript } from '../../../src/domain/change/scriptHash.js';
import { generateEd25519KeyPair } from '../../../src/proxy/hostKey.js';
import { MongoRecordingStore } from '../../../src/store/mongo/mongoRecordingStore.js';
import { MongoStore } from '../../../src/store/mongo/mongoStore.js';
import { NEW_CHANGE_CALLBACK_ID, newChangeFormMetadata, newChangeFormValues, type NewChangeForm } from '../../../bench/lib/newChangeForm.js';
import { parseAsciicast } from '../../support/asciicast.js';
import { eventually, FakeSlackApi } from '../../support/fakeSlackApi.js';
import { signInWithSlackThrough, startFakeSlackOpenId, type FakeSlackOpenId } from '../../support/fakeSlackOpenId.js';
import { freePort } from '../../support/freePort.js';
import { freshDatabaseName, mongoUriOrSkip } from '../../support/mongoTestServer.js';
import { startProductProcess, type ProductProcess } from '../../support/productProcess.js';
import { TestTerminal } from '../../support/proxyHarness.js';
import { runCliProcess } from '../../support/runCliProcess.js';
import { slackUserRequests, type SlackUserRequests } from '../../support/slackUserRequests.js';
import { startSshTarget, type SshTarget } from '../../support/sshTarget.js';
import { WebClient } from '../../support/webClient.js';

/**
 * Scale-out, for real: two product processes (tsx src/main.ts), A and B, on one MongoDB
 * database (FerretDB unless MONGODB_URI names a server), each with its own ports and DATA_DIR,
 * sharing what docs/OPERATIONS.md says they must share (the database, CHANGEGUARD_SECRET,
 * the proxy host key, the policy file). Slack (HTTP mode, signed requests, the fake Web API),
 * a real sshd behind the proxy, Sign in with Slack on the web pages, Agenda's steps. Any
 * request may land on either process, as behind a load balancer.
 */
const uri = mongoUriOrSkip('two product processes on one MongoDB database');

if (uri !== undefined) {
  const SIGNING_SECRET = 'two-products-signing-secret-0123456789';
  const SLACK = { alice: 'U01ALICE', bob: 'U01BOB', carol: 'U01CAROL', erin: 'U01ERIN', sam: 'U01SAM' } as const;
  const SCRIPT = 'uptime\necho planned-$((6*7))';
  const dbName = freshDatabaseName('scaleout');
  const databaseUri = (() => {
    const url = new URL(uri);
    url.pathname = `/${dbName}`;
    return url.toString();
  })();

  let dir: string;
  let target: SshTarget;
  let fake: FakeSlackApi;
  let openId: FakeSlackOpenId;
  let aliceKey: string;
  let store: MongoStore;
  const products: ProductProcess[] = [];
  const terminals: TestTerminal[] = [];

  interface Node {
    readonly name: 'A' | 'B';
    readonly process: ProductProcess;
    readonly port: number;
    readonly proxyPort: number;
    readonly slack: SlackUserRequests;
    web(): WebClient;
  }
  let a: Node;
  let b: Node;
  /** The change the steps below work on, filed on A, approved on B. */
  let change: NewChangeForm;

  async function startNode(name: 'A' | 'B', shared: Record<string, string>): Promise<Node> {
    const port = await freePort();
    const proxyPort = await freePort();
    const product = await startProductProcess({
      ...shared,
      DATA_DIR: join(dir, `data-${name}`),
      PORT: String(port),
      PROXY_PORT: String(proxyPort),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    });
    products.push(product);
    return {
      name,
      process: product,
      port,
      proxyPort,
      slack: slackUserRequests(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, (id) => fake.responseUrl(id)),
      web: () => new WebClient(`http://127.0.0.1:${port}`),
    };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'changeguard-scaleout-'));
    target = await startSshTarget();
    fake = await FakeSlackApi.start();
    openId = await startFakeSlackOpenId();
    fake.openIdApiUrl = openId.apiUrl;
    const alice = generateEd25519KeyPair('alice');
    aliceKey = alice.private;
    const hostKey = generateEd25519KeyPair();
    writeFileSync(join(dir, 'proxy_host_ed25519'), hostKey.private, { mode: 0o600 });
    writeFileSync(
      join(dir, 'policy.yml'),
      `
users:
  - { id: alice, slack: ${SLACK.alice}, name: Alice, roles: [requester], sshKeys: ['${alice.public}'] }
  - { id: bob, slack: ${SLACK.bob}, name: Bob, roles: [approver] }
  - { id: carol, slack: ${SLACK.carol}, name: Carol, roles: [approver] }
  - { id: erin, slack: ${SLACK.erin}, name: Erin, roles: [auditor] }
  - { id: sam, slack: ${SLACK.sam}, name: Sam, roles: [security] }
groups:
  - { id: web-ops, members: [alice], approvers: [bob, carol], approvals: 1, devices: [web01], channel: C01WEBOPS }
devices:
  - id: web01
    host: ${target.host}
    port: ${target.port}
    user: ${target.user}
    credential: { privateKeyFile: ${target.deviceKeyFile} }
    hostKey: '${target.hostKey}'
rules:
  - { id: no-recursive-rm, command: [rm], pattern: '(^|\\s)-\\w*[rR]', action: block, risk: high }
  - { id: no-shutdown, command: [shutdown, reboot, halt, poweroff], action: interrupt, attempts: 1, risk: high }
channels: { approvals: C01APPROVALS, security: C01SECURITY, audit: C01AUDIT }
settings: { opaque: block, timezone: UTC }
`,
    );
    const shared = {
      MONGODB_URI: databaseUri,
      POLICY_FILE: join(dir, 'policy.yml'),
      PROXY_HOST_KEY_FILE: join(dir, 'proxy_host_ed25519'),
      CHANGEGUARD_SECRET: randomBytes(32).toString('hex'),
      SLACK_BOT_TOKEN: 'xoxb-two-products',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      SLACK_CLIENT_ID: openId.clientId,
      SLACK_CLIENT_SECRET: openId.clientSecret,
      SCHEDULER_POLL_SECONDS: '1',
      WINDOW_EXPIRING_MINUTES: '0.25',
      // Debug: the scheduler logs every step it runs or skips, which is what "exactly once" counts.
      LOG_LEVEL: 'debug',
    };
    // Started together: both import the policy and create the collections at once.
    [a, b] = await Promise.all([startNode('A', shared), startNode('B', shared)]);
    store = await MongoStore.connect(databaseUri);
  });

  afterAll(async () => {
    for (const term of terminals) term.close();
    await Promise.all(products.map((p) => p.kill()));
    await store?.connection.dropDatabase().catch(() => undefined);
    await store?.close();
    await fake?.close();
    await openId?.close();
    await target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Files `form` in Slack's new-change modal on `node`, as alice. */
  async function file(node: Node, form: NewChangeForm): Promise<void> {
    const response = await node.slack.submit(SLACK.alice, NEW_CHANGE_CALLBACK_ID, newChangeFormValues(form), newChangeFormMetadata(form));
    const body = await response.text();
    expect(response.status, body).toBe(200);
    expect(body).not.toContain('"errors"');
  }

  /** Scheduler log lines of both processes for `code`: [process, job, outcome]. */
  function stepsRun(code: string): string[] {
    return [a, b].flatMap((node) =>
      node.process
        .logLines()
        .filter((line) => line.code === code && (line.msg === 'scheduled step done' || line.msg === 'scheduled step skipped'))
        .map((line) => `${String(line.job)}`),
    );
  }

  async function openSession(node: Node, code: string): Promise<{ term: TestTerminal; sessionId: string }> {
    const term = await TestTerminal.open(node.proxyPort, `alice+${code}+web01`, aliceKey);
    terminals.push(term);
    await term.justify('planned restart');
    const sessionId = /changeguard: session ([0-9a-f-]{36}) on/.exec(term.text())?.[1];
    expect(sessionId, term.text()).toBeDefined();
    return { term, sessionId: sessionId! };
  }

  /** A session's recording as stored in the database, output only. */
  async function recordingOf(sessionId: string): Promise<string> {
    const recording = await (await MongoRecordingStore.open(store.connection)).open(sessionId);
    let text = '';
    for await (const chunk of recording ?? []) text += String(chunk);
    return parseAsciicast(text).output;
  }

  describe('two product processes on one MongoDB database', () => {
    it('files a change in Slack on A, approves it in Slack on B, and rejects another across them', async () => {
      const windowStart = new Date(Math.ceil((Date.now() + 12_000) / 1000) * 1000);
      change = { code: 'CHG-901', title: 'Scale-out restart', group: 'web-ops', devices: ['web01'], script: SCRIPT, windowStart, windowEnd: new Date(windowStart.getTime() + 50_000) };
      await file(a, change);
      // Each approver's card went out once, although both processes deliver the outbox.
      const cardsTo = (user: string) => fake.callsTo('chat.postMessage').filter((c) => c.args.channel === user && String(c.args.text).startsWith('Change request CHG-901:'));
      await eventually('bob\'s and carol\'s cards', () => cardsTo(SLACK.bob).length > 0 && cardsTo(SLACK.carol).length > 0);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(cardsTo(SLACK.bob)).toHaveLength(1);
      expect(cardsTo(SLACK.carol)).toHaveLength(1);

      const approve = await b.slack.click(SLACK.bob, 'change_approve', JSON.stringify({ code: 'CHG-901', scriptHash: hashScript(SCRIPT) }), 'bob-approves');
      expect(approve.status).toBe(200);
      await eventually('the approval on B to be stored', async () => (await store.changes.findByCode('CHG-901'))?.status === 'approved');
      expect((await store.changes.findByCode('CHG-901'))?.approvals.map((x) => x.approver)).toEqual(['bob']);

      const other = { ...change, code: 'CHG-902', title: 'To be rejected' };
      await file(b, other);
      await a.slack.click(SLACK.carol, 'change_reject', JSON.stringify({ code: 'CHG-902', scriptHash: hashScript(SCRIPT) }), 'carol-rejects');
      const form = await eventually('the rejection form', () => fake.callsTo('views.open').find((c) => (c.args.view as { callback_id?: string }).callback_id === 'reject_change'));
      const rejected = await b.slack.submit(SLACK.carol, 'reject_change', { reason: { value: { type: 'plain_text_input', value: 'not this week' } } }, (form.args.view as { private_metadata: string }).private_metadata);
      expect(rejected.status).toBe(200);
      await eventually('the rejection to be stored', async () => (await store.changes.findByCode('CHG-902'))?.status === 'rejected');

      // A third one nobody approves: its approval deadline is a step too.
      await file(a, { ...change, code: 'CHG-903', title: 'Left waiting' });
    });

    it('runs a session on A through the proxy to sshd: the plan, a blocked command, then an interrupt', async () => {
      await eventually('the window to open', () => Date.now() >= change.windowStart.getTime(), 20_000);
      const { term, sessionId } = await openSession(a, 'CHG-901');
      term.type('uptime\r');
      await term.waitForPrompt(2);
      term.type('echo planned-$((6*7))\r');
      await term.waitForText('planned-42');
      await term.waitForPrompt(3);
      term.type('rm -rf /tmp/changeguard-scaleout\r');
      await term.waitForText('is not permitted (rule no-recursive-rm)');
      await term.waitForPrompt(4);
      term.type('shutdown -h now\r');
      await term.waitForClose();
      expect(term.text()).toContain('is not permitted (rule no-shutdown)');

      const session = await eventually('the interrupted session', async () => {
        const stored = await store.sessions.findById(sessionId);
        return stored?.state === 'interrupted' ? stored : undefined;
      });
      expect(session).toMatchObject({ changeCode: 'CHG-901', user: 'alice', owner: expect.stringMatching(new RegExp(`:${a.proxyPort}$`)) });
      const commands = await store.commands.listBySession(sessionId);
      expect(commands.map((c) => [c.line, c.verdict])).toEqual([
        ['uptime', 'allow'],
        ['echo planned-$((6*7))', 'allow'],
        ['rm -rf /tmp/changeguard-scaleout', 'block'],
        ['shutdown -h now', 'interrupt'],
      ]);
      // The recording is in the database, as chunk documents any process can replay.
      expect(await recordingOf(sessionId)).toContain('planned-42');
      await eventually('the block alert in the security channel', () =>
        fake.callsTo('chat.postMessage').find((c) => c.args.channel === 'C01SECURITY' && JSON.stringify(c.args).includes('rm -rf /tmp/changeguard-scaleout')),
      );
    });

    it('shows the change audit on B\'s web page to an auditor signed in with Slack', async () => {
      const erin = b.web();
      await signInWithSlackThrough(openId, erin, SLACK.erin, '/changes/CHG-901/audit');
      const page = await erin.page('/changes/CHG-901/audit');
      expect(page.status).toBe(200);
      expect(page.html).toContain('CHG-901');
      expect(page.html).toContain('rm -rf /tmp/changeguard-scaleout');
      expect(page.html).toContain('planned-$((6*7))');
      const evidence = await erin.get('/changes/CHG-901/evidence.json');
      expect(evidence.status).toBe(200);
    });

    it('lets security on B terminate a session A serves; A cuts it within seconds', async () => {
      const { term, sessionId } = await openSession(a, 'CHG-901');
      const sam = b.web();
      await signInWithSlackThrough(openId, sam, SLACK.sam, `/sessions/${sessionId}`);
      const page = await sam.page(`/sessions/${sessionId}`);
      expect(page.status).toBe(200);
      const done = await sam.post(`/sessions/${sessionId}/terminate`, { reason: 'seen from B' });
      expect(done.status).toBe(303);
      await term.waitForClose(10_000);
      expect(await store.sessions.findById(sessionId)).toMatchObject({ state: 'terminated', endReason: 'seen from B' });
    });

    it('answers Slack reports on either process from the same data', async () => {
      await a.slack.command(SLACK.erin, 'report --since 1d', 'report-on-a');
      await b.slack.command(SLACK.erin, 'report --since 1d', 'report-on-b');
      const [onA, onB] = await Promise.all([
        eventually('the report answered on A', () => fake.responsesTo('report-on-a')[0]),
        eventually('the report answered on B', () => fake.responsesTo('report-on-b')[0]),
      ]);
      // The same figures whichever process answered (only the period's end, the time of asking, differs).
      const figures = (answer: typeof onA) => (answer.body as { blocks: unknown[] }).blocks.slice(1);
      expect(figures(onB)).toEqual(figures(onA));
      // The scheduled report's template (templates/reports/periodReport.slack.hbs).
      expect(JSON.stringify(figures(onA))).toContain('By rule: `no-recursive-rm` 1 · `no-shutdown` 1');
    });

    it('goes on when A is killed mid-session: B serves, runs the steps, closes what A left open; nothing is lost', async () => {
      const { term, sessionId } = await openSession(a, 'CHG-901');
      term.type('echo before-the-kill\r');
      await term.waitForText('before-the-kill');
      await term.waitForPrompt(2);
      // The recorder flushes every second: what it held for less than that dies with the process.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await a.process.kill();
      await term.waitForClose(10_000);

      // B goes on: a new session through B's proxy, a Slack command on B.
      const onB = await openSession(b, 'CHG-901');
      onB.term.type('echo served-by-b\r');
      await onB.term.waitForText('served-by-b');
      await onB.term.waitForPrompt(2);
      onB.term.type('exit\r');
      await onB.term.waitForClose();
      const shown = await b.slack.command(SLACK.alice, 'show CHG-901', 'show-on-b');
      expect(shown.status).toBe(200);
      await eventually('the answer from B', () => fake.responsesTo('show-on-b')[0]);

      // What A had judged before it died is stored, and so is its recording up to the last flush.
      expect((await store.commands.listBySession(sessionId)).map((c) => c.line)).toEqual(['echo before-the-kill']);
      expect(await recordingOf(sessionId)).toContain('before-the-kill');
      // The window ends: B's scheduler closes the change and cuts the session A can no longer end.
      const closed = await eventually('the window to close', async () => {
        const stored = await store.changes.findByCode('CHG-901');
        return stored && ['completed', 'incomplete'].includes(stored.status) ? stored : undefined;
      }, 70_000);
      expect(closed.status).toBe('completed');
      expect(await store.sessions.findById(sessionId)).toMatchObject({ state: 'terminated', endReason: 'the change window closed' });
      expect(await store.changes.findByCode('CHG-903')).toMatchObject({ status: 'expired' });

      // Each step ran once, on one process or the other (the close logs once it has notified).
      await eventually('the close step to be logged', () => stepsRun('CHG-901').includes('window-close'));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      for (const code of ['CHG-901', 'CHG-903']) {
        const steps = stepsRun(code);
        expect(steps.filter((job) => job !== 'approval-reminder').sort(), code).toEqual(code === 'CHG-901' ? ['window-close', 'window-expiring', 'window-open'] : ['approval-expire']);
      }
      expect(fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C01WEBOPS' && c.args.text === 'CHG-901: the window is open')).toHaveLength(1);

      // Nothing waits in the outbox or failed there; the chain verifies from the command line.
      await eventually('the outbox to drain', async () => (await store.outbox.list({ statuses: ['pending', 'sending'], limit: 1 })).length === 0, 30_000);
      expect(await store.outbox.list({ statuses: ['failed'] })).toEqual([]);
      const verify = await runCliProcess(['audit', 'verify', '--json'], { env: { MONGODB_URI: databaseUri, DATA_DIR: join(dir, 'cli') } });
      expect(verify.code, verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
      expect((JSON.parse(verify.stdout) as { count: number }).count).toBeGreaterThan(15);
    }, 120_000);
  });
}
