/**
 * The changeguard proxy alone, in its own process, for the SSH benchmark: the measuring
 * clients must not share its event loop. Reads its set-up from BENCH_PROXY (JSON), prints
 * `READY <port>`, answers `RSS` (resident memory, bytes) and `CPU` (user + system time
 * since start, microseconds) on stdin, stops on SIGTERM.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateEd25519KeyPair } from '../../src/proxy/hostKey.js';
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
const proxy = await SshProxy.start({
  deps,
  notifier,
  recordings: new FileRecordingStore(join(setup.dir, 'recordings')),
  logger: createLogger('warn'),
  hostKey: Buffer.from(generateEd25519KeyPair().private),
  port: 0,
  bind: '127.0.0.1',
});
process.stdout.write(`READY ${proxy.port}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'RSS') process.stdout.write(`RSS ${process.memoryUsage().rss}\n`);
  if (line.trim() === 'CPU') {
    const usage = process.cpuUsage();
    process.stdout.write(`CPU ${usage.user + usage.system}\n`);
  }
});
process.once('SIGTERM', () => {
  void proxy
    .stop()
    .then(() => store.close())
    .finally(() => process.exit(0));
});
