import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Policy } from '../../src/domain/policy/policy.js';
import { createLogger } from '../../src/logger.js';
import type { Actor } from '../../src/services/actor.js';
import { startChange } from '../../src/services/changes/changeWindow.js';
import { registerChange } from '../../src/services/changes/registerChange.js';
import { approveChange } from '../../src/services/changes/reviewChange.js';
import { judgeCommand } from '../../src/services/sessions/judgeCommand.js';
import type { Session } from '../../src/domain/session/session.js';
import { ApprovalLinks } from '../../src/services/links/approvalLinks.js';
import type { ServiceDeps } from '../../src/services/serviceDeps.js';
import type { RecordingSource } from '../../src/services/sessions/recordingSource.js';
import { FileRecordingStore } from '../../src/store/files/fileRecordingStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { createWebApp, type WebAppOptions } from '../../src/web/webApp.js';
import { DEFAULT_SETTINGS } from '../../src/domain/policy/policy.js';
import { PeriodReportRenderer } from '../../src/notify/periodReportRenderer.js';
import { buildGroup, buildPolicy, buildRule, buildUser } from './factories.js';
import { RecordingNotifier } from './recordingNotifier.js';
import { freePort } from './freePort.js';
import { serviceHarness } from './serviceHarness.js';
import { TestClock } from './testClock.js';

export const FIXTURES_DIR = new URL('../fixtures/web/', import.meta.url).pathname;

/** alice files, bob and carol approve web-ops, erin audits, sam is security, ada admin; dave is in no group. */
export function portalPolicy(overrides: Partial<Policy> = {}): Policy {
  return buildPolicy({
    users: [
      buildUser({ id: 'alice', name: 'Alice', slack: 'U01ALICE' }),
      buildUser({ id: 'bob', name: 'Bob', slack: 'U01BOB', roles: ['approver'] }),
      buildUser({ id: 'carol', name: 'Carol', slack: 'U01CAROL', roles: ['approver'] }),
      buildUser({ id: 'erin', name: 'Erin', slack: 'U01ERIN', roles: ['auditor'] }),
      buildUser({ id: 'sam', name: 'Sam', slack: 'U01SAM', roles: ['security'] }),
      buildUser({ id: 'ada', name: 'Ada', slack: 'U01ADA', roles: ['admin'] }),
      buildUser({ id: 'dave', name: 'Dave', slack: 'U01DAVE' }),
    ],
    groups: [buildGroup({ members: ['alice', 'bob'], approvers: ['bob', 'carol'] })],
    rules: [
      buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', risk: 'high' }),
      buildRule({ id: 'no-shutdown', command: ['shutdown', 'reboot'], action: 'interrupt', risk: 'high' }),
    ],
    settings: { ...DEFAULT_SETTINGS, timezone: 'UTC' },
    ...overrides,
  });
}

/** Recordings from files named `<session id>.cast` in a directory (the embedded store's layout). */
export function directoryRecordings(dir: string): RecordingSource {
  return new FileRecordingStore(dir);
}

export interface PortalHarness {
  readonly deps: ServiceDeps;
  readonly store: SqliteStore;
  readonly sqliteFile: string;
  readonly clock: TestClock;
  readonly links: ApprovalLinks;
  readonly baseUrl: string;
  /** What web actions raised (the "finish now" close summary). */
  readonly notifier: RecordingNotifier;
  fileChange(input?: Partial<Parameters<typeof registerChange>[1]>, actor?: Actor): ReturnType<typeof registerChange>;
  close(): Promise<void>;
}

/** The portal on a real HTTP server on 127.0.0.1 over a temporary SQLite file. */
export async function startPortal(
  options: {
    policy?: Policy;
    web?: Partial<Omit<WebAppOptions, 'deps' | 'logger' | 'secret' | 'approvalLinks'>>;
  } = {},
): Promise<PortalHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-web-'));
  const sqliteFile = join(dir, 'changeguard.db');
  const store = SqliteStore.open(sqliteFile);
  // Real time: browsers expire cookies by their own clock.
  const clock = new TestClock(new Date());
  const { deps } = await serviceHarness(store, { clock, policy: options.policy ?? portalPolicy() });
  const secret = randomBytes(32);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const links = new ApprovalLinks(secret, baseUrl);
  const notifier = new RecordingNotifier();
  const app = createWebApp({
    deps,
    logger: createLogger(process.env.WEB_TEST_LOG ?? 'silent'),
    publicUrl: baseUrl,
    bind: '127.0.0.1',
    secret,
    approvalLinks: links,
    slackConfigured: false,
    recordings: directoryRecordings(FIXTURES_DIR),
    sshProxy: { host: 'changeguard.test', port: 2222 },
    reportFormatter: PeriodReportRenderer.load(),
    rateLimits: { signIn: { limit: 1000, windowMs: 60_000 }, decisions: { limit: 1000, windowMs: 60_000 } },
    ...options.web,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    // Express 5 calls back with a listen error too: only a clean listen resolves.
    const s = app.listen(port, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
  });

  return {
    deps,
    store,
    sqliteFile,
    clock,
    links,
    baseUrl,
    notifier,
    fileChange(input = {}, actor = { userId: 'alice', terminal: 'slack' }) {
      const now = clock.now().getTime();
      return registerChange(
        deps,
        {
          title: 'Restart nginx',
          description: 'Pick up the new certificate',
          group: 'web-ops',
          devices: ['web01'],
          script: 'systemctl restart nginx\ntail -n 20 /var/log/nginx/error.log',
          windowStart: new Date(now + 3600_000),
          windowEnd: new Date(now + 3 * 3600_000),
          ...input,
        },
        actor,
      );
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A change that ran: approved by bob, one session by alice from 10.0.0.9 (recorded as
 * `sess-demo`), which ran a planned line, an unplanned one, and had one line blocked, leaving
 * the second planned line missing.
 */
export async function seedRanChange(h: PortalHarness, sessionId = 'sess-demo'): Promise<string> {
  const now = h.clock.now().getTime();
  const change = await h.fileChange({
    title: 'Rotate nginx certificate',
    script: '# reload with the new certificate\nsystemctl restart nginx\ntail -n 20 /var/log/nginx/error.log\nnginx -t',
    windowStart: new Date(now - 5 * 60_000),
    windowEnd: new Date(now + 2 * 3600_000),
  });
  await approveChange(h.deps, change.code, { userId: 'bob', terminal: 'slack' });
  const session: Session = {
    id: sessionId,
    changeCode: change.code,
    user: 'alice',
    device: 'web01',
    kind: 'shell',
    justification: 'certificate rotation as planned',
    clientAddress: '10.0.0.9',
    startedAt: h.clock.now(),
    state: 'active',
  };
  await h.store.sessions.create(session);
  await startChange(h.deps, change.code, { userId: 'alice', terminal: 'proxy 10.0.0.9' });
  const scope = { session, group: 'web-ops', interruptAttempts: new Map<string, number>() };
  for (const line of ['systemctl restart nginx', 'tail -n 20 /var/log/nginx/error.log', 'curl -sI http://localhost/', 'rm -rf /var/cache/nginx']) {
    h.clock.advance(5_000);
    await judgeCommand(h.deps, scope, line, 'shell');
  }
  return change.code;
}
