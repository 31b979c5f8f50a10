import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type Client, type ClientChannel } from 'ssh2';
import type { Change } from '../../src/domain/change/change.js';
import type { Policy, PolicyRule } from '../../src/domain/policy/policy.js';
import { createLogger } from '../../src/logger.js';
import type { Notification } from '../../src/domain/notifications/catalogue.js';
import type { Notifier } from '../../src/services/notifications/notifier.js';
import { generateEd25519KeyPair } from '../../src/proxy/hostKey.js';
import { SshProxy } from '../../src/proxy/sshProxy.js';
import type { StoreOutageHandling } from '../../src/services/sessions/judgeSessionLine.js';
import { createServiceDeps, type ServiceDeps } from '../../src/services/serviceDeps.js';
import { FileRecordingStore } from '../../src/store/files/fileRecordingStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import type { Store } from '../../src/store/store.js';
import { buildOpenApprovedChange, buildPolicy, buildUser } from './factories.js';
import { sharedParser } from './sharedParser.js';
import { storedNotifications } from './storedNotifications.js';
import { startSshTarget, type SshTarget } from './sshTarget.js';

/** Keeps every notification raised, for assertions, and passes it on to `next` when given. */
export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  constructor(private readonly next?: Notifier) {}
  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
    await this.next?.notify(notification);
  }
  types(): string[] {
    return this.sent.map((n) => n.type);
  }
}

/** Real time, shiftable: tests jump past a window's end without waiting for it. */
export class ShiftableClock {
  private offset = 0;
  readonly now = (): Date => new Date(Date.now() + this.offset);
  shift(ms: number): void {
    this.offset += ms;
  }
}

export interface ProxyHarness {
  readonly target: SshTarget;
  readonly store: SqliteStore;
  readonly deps: ServiceDeps;
  readonly proxy: SshProxy;
  readonly notifier: RecordingNotifier;
  readonly recordings: FileRecordingStore;
  readonly clock: ShiftableClock;
  /** alice's private key (OpenSSH), registered in the policy. */
  readonly aliceKey: string;
  readonly dir: string;
  /** An approved change for alice on web01 whose window is open now. */
  approvedChange(overrides?: Partial<Change>): Promise<Change>;
  /**
   * Every notification: those raised through the notifier (command alerts) and those written
   * with a step's state (session start and end, locks), read from the outbox.
   */
  notifications(): Promise<Notification[]>;
  stop(): Promise<void>;
}

let changeCounter = 0;

/**
 * A real sshd as the device, a SQLite store in a temporary directory, and the proxy on a free
 * port, with a policy naming alice (requester, with a key), bob (approver), erin (auditor),
 * and devices web01/web02 (the target) and web03 (the target, pinned to a wrong host key).
 */
export async function startProxyHarness(
  options: {
    rules?: readonly PolicyRule[];
    settings?: Partial<Policy['settings']>;
    channels?: Policy['channels'];
    storeOutage?: StoreOutageHandling;
    /** What the services see instead of the SQLite store (a fault-injecting wrapper). */
    wrapStore?: (store: SqliteStore) => Store;
    /** Where notifications go after being recorded (e.g. the real outbox notifier). */
    notifierFor?: (deps: ServiceDeps) => Notifier;
    /** How long a command a review rule holds waits for an approver. */
    deviationTimeoutMs?: number;
  } = {},
): Promise<ProxyHarness> {
  const target = await startSshTarget();
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-proxy-'));
  const alice = generateEd25519KeyPair('alice');
  const wrongHostKey = generateEd25519KeyPair().public;
  const store = SqliteStore.open(join(dir, 'changeguard.db'));
  const device = (id: string, hostKey: string) => ({
    id,
    host: target.host,
    port: target.port,
    user: target.user,
    credential: { privateKeyFile: target.deviceKeyFile },
    hostKey,
  });
  const base = buildPolicy();
  const policy: Policy = {
    ...base,
    users: [
      buildUser({ id: 'alice', slack: 'U01ALICE', sshKeys: [alice.public] }),
      buildUser({ id: 'bob', slack: 'U01BOB', roles: ['approver'] }),
      buildUser({ id: 'erin', roles: ['auditor'] }),
      buildUser({ id: 'mallory', roles: ['requester'] }),
      buildUser({ id: 'sam', roles: ['security'] }),
    ],
    groups: [{ id: 'web-ops', members: ['alice'], approvers: ['bob'], approvals: 1, devices: ['web01', 'web02', 'web03'] }],
    devices: [device('web01', target.hostKey), device('web02', target.hostKey), device('web03', wrongHostKey)],
    rules: options.rules ?? [],
    channels: options.channels ?? base.channels,
    settings: { ...base.settings, ...options.settings },
  };
  await store.policy.apply({
    replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules },
    channels: policy.channels,
    settings: policy.settings,
  });
  const clock = new ShiftableClock();
  const deps = createServiceDeps({ store: options.wrapStore?.(store) ?? store, clock: clock.now, parser: await sharedParser(), policyMaxAgeMs: 0 });
  const notifier = new RecordingNotifier(options.notifierFor?.(deps));
  const recordings = new FileRecordingStore(join(dir, 'recordings'));
  const proxy = await SshProxy.start({
    deps,
    notifier,
    recordings,
    logger: createLogger(process.env.PROXY_TEST_LOG ?? 'silent'),
    hostKey: Buffer.from(generateEd25519KeyPair().private),
    port: 0,
    bind: '127.0.0.1',
    watchIntervalMs: 200,
    storeOutage: options.storeOutage,
    deviationTimeoutMs: options.deviationTimeoutMs,
  });
  return {
    target,
    store,
    deps,
    proxy,
    notifier,
    recordings,
    clock,
    aliceKey: alice.private,
    dir,
    async approvedChange(overrides = {}) {
      const change = buildOpenApprovedChange(clock.now(), {
        code: `CHG-${process.pid}${++changeCounter}`,
        title: 'Proxy test change',
        devices: ['web01', 'web03'],
        script: 'touch marker',
        ...overrides,
      });
      await store.changes.create(change);
      return change;
    },
    async notifications() {
      const stored = await storedNotifications(store);
      const seen = new Set(stored.map((n) => `${n.type}|${n.dedupeKey}`));
      return [...stored, ...notifier.sent.filter((n) => !seen.has(`${n.type}|${n.dedupeKey}`))];
    },
    async stop() {
      await proxy.stop();
      await store.close();
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An ssh2 client connection to the proxy, logged in as `username` with `privateKey`. */
export function connectClient(port: number, username: string, privateKey: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username, privateKey, readyTimeout: 15_000 });
  });
}

/** What a user sees in an interactive session, with helpers to type and wait. */
export class TestTerminal {
  output = '';
  closed = false;
  exitCode: number | undefined;
  private constructor(
    readonly client: Client,
    readonly stream: ClientChannel,
  ) {
    stream.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    stream.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    stream.on('exit', (code: number | null) => {
      if (typeof code === 'number') this.exitCode = code;
    });
    stream.on('close', () => {
      this.closed = true;
      client.end();
    });
  }

  static async open(port: number, username: string, privateKey: string, size = { cols: 100, rows: 30 }): Promise<TestTerminal> {
    const client = await connectClient(port, username, privateKey);
    const stream = await new Promise<ClientChannel>((resolve, reject) =>
      client.shell({ term: 'xterm-256color', cols: size.cols, rows: size.rows }, (error, channel) => (error ? reject(error) : resolve(channel))),
    );
    return new TestTerminal(client, stream);
  }

  type(text: string): void {
    this.stream.write(text);
  }

  /**
   * Prompts drawn so far: changeguard's line editor starts each on a fresh line
   * (`user@device:dir$ `); a redraw while editing repeats it on the same line, which is not
   * counted.
   */
  prompts(): number {
    return (this.text().match(PROMPT) ?? []).length;
  }

  /** True when the last thing shown is a prompt waiting for input. */
  atPrompt(): boolean {
    return PROMPT_AT_END.test(this.text());
  }

  /** Output with escape sequences removed, for reading. */
  text(): string {
    return stripAnsi(this.output);
  }

  async waitFor(predicate: (t: TestTerminal) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the terminal showed:\n${this.text().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  waitForText(text: string, timeoutMs?: number): Promise<void> {
    return this.waitFor((t) => t.text().includes(text), JSON.stringify(text), timeoutMs);
  }

  /** Waits until at least `count` prompts have been drawn. */
  waitForPrompt(count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor((t) => t.prompts() >= count, `prompt #${count}`, timeoutMs);
  }

  waitForClose(timeoutMs?: number): Promise<void> {
    return this.waitFor((t) => t.closed, 'the session to close', timeoutMs);
  }

  /** Answers the justification question and waits for the shell's first prompt. */
  async justify(text = 'planned maintenance'): Promise<void> {
    await this.waitForText('Justification for');
    this.type(`${text}\r`);
    await this.waitForPrompt(1);
  }

  close(): void {
    this.client.end();
  }
}

/** A prompt at the start of a line: `alice@web01:/some/dir$ `. */
const PROMPT = /(?:^|\n)[^\s@]+@[^\s:]+:[^\n]*?[$#] /g;
const PROMPT_AT_END = /(?:^|\n)[^\s@]+@[^\s:]+:[^\n]*[$#] $/;

export function stripAnsi(text: string): string {
  // OSC (to BEL or ST), CSI, and other two-byte escapes.
  return text.replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '').replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b[()][A-Z0-9]|\x1b[=>NOM78c]/g, '');
}

/** Runs one command through the proxy (exec) and collects what came back. */
export async function execThroughProxy(
  port: number,
  username: string,
  privateKey: string,
  command: string,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const client = await connectClient(port, username, privateKey);
  try {
    return await new Promise((resolve, reject) => {
      client.exec(command, (error, stream) => {
        if (error) return reject(error);
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        stream.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        stream.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        stream.on('exit', (status: number | null) => (code = status));
        stream.on('close', () => resolve({ stdout, stderr, code }));
      });
    });
  } finally {
    client.end();
  }
}
