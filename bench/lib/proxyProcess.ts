/**
 * The changeguard proxy alone, in its own process, for the SSH benchmark: the measuring
 * clients must not share its event loop. Reads its set-up from BENCH_PROXY (JSON), prints
 * `READY <port>`, answers `RSS` (resident memory, bytes) and `CPU` (user + system time
 * since start, microseconds) on stdin, stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateEd25519KeyPair, loadOrCreateHostKey } from '../../src/proxy/hostKey.js';
import { ProxyWorkerPool } from '../../src/proxy/workers/proxyWorkerPool.js';
import { hashScript } from '../../src/domain/change/scriptHash.js';
import { DEFAULT_SETTINGS } from '../../src/domain/policy/policy.js';
import { ShellParser } from '../../src/domain/shell/shellParser.js';
import { createLogger } from '../../src/logger.js';
import type { Notifier } from '../../src/services/notifications/notifier.js';
import { SshProxy } from '../../src/proxy/sshProxy.js';
import { createServiceDeps } from '../../src/services/serviceDeps.js';
import { FileRecordingStore } from '../../src/store/files/fileRecordingStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';

interface Setup {
  readonly dir: string;
  readonly target: { host: string; port: number; user: string; hostKey: string; deviceKeyFile: string };
  readonly userPublicKey: string;
  readonly changeCode: string;
  /** More than 1: the proxy as PROXY_WORKERS worker processes (the product's ProxyWorkerPool). */
  readonly workers?: number;
}

const setup = JSON.parse(process.env.BENCH_PROXY ?? '{}') as Setup;
const store = SqliteStore.open(join(setup.dir, 'changeguard.db'));
await store.policy.apply({
  replace: {
    users: [{ id: 'alice', name: 'Alice', roles: ['requester'], sshKeys: [setup.userPublicKey] }],
    groups: [{ id: 'ops', members: ['alice'], approvers: ['bob'], approvals: 1, devices: ['web01'] }],
    devices: [
      {
        id: 'web01',
        host: setup.target.host,
        port: setup.target.port,
        user: setup.target.user,
        credential: { privateKeyFile: setup.target.deviceKeyFile },
        hostKey: setup.target.hostKey,
      },
    ],
    // A realistic rule set: every command is judged against these.
    rules: [
      { id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high', attempts: 1 },
      { id: 'no-shutdown', command: ['shutdown', 'reboot', 'halt', 'poweroff'], action: 'interrupt', risk: 'high', attempts: 3 },
    ],
  },
  channels: {},
  settings: DEFAULT_SETTINGS,
});
const now = Date.now();
await store.changes.create({
  code: setup.changeCode,
  title: 'benchmark',
  description: 'benchmark',
  requester: 'alice',
  group: 'ops',
  devices: ['web01'],
  script: 'true',
  scriptHash: hashScript('true'),
  windowStart: new Date(now - 3600_000),
  windowEnd: new Date(now + 6 * 3600_000),
  status: 'approved',
  approvals: [{ approver: 'bob', at: new Date(now - 3600_000), scriptHash: hashScript('true') }],
  createdAt: new Date(now - 7200_000),
  updatedAt: new Date(now - 3600_000),
  version: 1,
});
const deps = createServiceDeps({ store, clock: () => new Date(), parser: await ShellParser.load() });
const notifier: Notifier = { notify: async () => undefined };
const workers = setup.workers ?? 1;
const hostKeyFile = join(setup.dir, 'proxy_host_ed25519');
const proxy =
  workers > 1
    ? await ProxyWorkerPool.start(
        workers,
        new URL('../../src/proxyWorker.ts', import.meta.url),
        {
          mongodbUri: undefined,
          sqliteFile: join(setup.dir, 'changeguard.db'),
          dataDir: setup.dir,
          logLevel: 'warn',
          proxy: { port: 0, bind: '127.0.0.1', hostKeyFile: (loadOrCreateHostKey(hostKeyFile), hostKeyFile), publicHost: '127.0.0.1', publicPort: 0, onStoreOutage: 'block', workers },
        },
        createLogger('warn'),
      )
    : await SshProxy.start({
        deps,
        notifier,
        recordings: new FileRecordingStore(join(setup.dir, 'recordings')),
        logger: createLogger('warn'),
        hostKey: Buffer.from(generateEd25519KeyPair().private),
        port: 0,
        bind: '127.0.0.1',
      });
const workerPids = () => (proxy instanceof ProxyWorkerPool ? proxy.pids : []);
process.stdout.write(`READY ${proxy.port}\n`);
// With workers, figures add up this process (it accepts and hands out connections) and theirs.
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'RSS') {
    const workersRss = workerPids().reduce((sum, pid) => sum + Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024, 0);
    process.stdout.write(`RSS ${process.memoryUsage().rss + workersRss}\n`);
  }
  if (line.trim() === 'CPU') {
    const usage = process.cpuUsage();
    // /proc/PID/stat fields 14 and 15: user and system time in clock ticks (100 per second on Linux).
    const workersCpu = workerPids().reduce((sum, pid) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) * 10_000;
    }, 0);
    process.stdout.write(`CPU ${usage.user + usage.system + workersCpu}\n`);
  }
});
process.once('SIGTERM', () => {
  void proxy
    .stop()
    .then(() => store.close())
    .finally(() => process.exit(0));
});
