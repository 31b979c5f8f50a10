import { PeriodReportRenderer } from '../../src/notify/periodReportRenderer.js';
import type { Server } from 'node:http';
import { systemClock } from '../../src/domain/clock.js';
import type { Policy } from '../../src/domain/policy/policy.js';
import { createLogger } from '../../src/logger.js';
import { startNotificationSystem, type NotificationSystem } from '../../src/notify/notificationSystem.js';
import type { DeliveryOptions } from '../../src/notify/slackDeliveryWorker.js';
import { ApprovalLinks } from '../../src/services/links/approvalLinks.js';
import { createServiceDeps, type ServiceDeps } from '../../src/services/serviceDeps.js';
import { createSlackAdapter, SLACK_EVENTS_PATH } from '../../src/slack/slackAdapter.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { createWebApp } from '../../src/web/webApp.js';
import { buildGroup, buildPolicy, buildUser } from './factories.js';
import { FakeSlackApi } from './fakeSlackApi.js';
import { sharedParser } from './sharedParser.js';
import { slackUserRequests, type SlackUserRequests } from './slackUserRequests.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const PUBLIC_URL = 'https://changeguard.example';

/** Slack user ids of the people in the test policy. */
export const SLACK = { alice: 'U01ALICE', bob: 'U01BOB', carol: 'U01CAROL', erin: 'U01ERIN', sam: 'U01SAM', dave: 'U01DAVE', stranger: 'U09NOBODY' } as const;

export function slackTestPolicy(): Policy {
  return buildPolicy({
    users: [
      buildUser({ id: 'alice', slack: SLACK.alice, name: 'Alice', roles: ['requester', 'approver'] }),
      buildUser({ id: 'bob', slack: SLACK.bob, name: 'Bob', roles: ['approver'] }),
      buildUser({ id: 'carol', slack: SLACK.carol, name: 'Carol', roles: ['approver'] }),
      buildUser({ id: 'erin', slack: SLACK.erin, name: 'Erin', roles: ['auditor'] }),
      buildUser({ id: 'sam', slack: SLACK.sam, name: 'Sam', roles: ['security'] }),
      buildUser({ id: 'dave', slack: SLACK.dave, name: 'Dave', roles: ['requester'] }),
    ],
    // alice is listed as an approver of her own group: only the four-eyes rule stops her.
    groups: [buildGroup({ members: ['alice'], approvers: ['alice', 'bob', 'carol'], channel: 'C01WEBOPS' }), buildGroup({ id: 'db-ops', members: ['alice'], approvers: ['bob'], devices: ['db01'] })],
    devices: [
      { id: 'web01', host: '127.0.0.1', port: 22, user: 'deploy', credential: { passwordEnv: 'WEB01_PASSWORD' } },
      { id: 'web02', host: '127.0.0.1', port: 22, user: 'deploy', credential: { passwordEnv: 'WEB02_PASSWORD' } },
      { id: 'db01', host: '127.0.0.1', port: 22, user: 'deploy', credential: { passwordEnv: 'DB01_PASSWORD' } },
    ],
    rules: [
      { id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high', attempts: 1 },
      { id: 'no-shutdown', command: ['shutdown', 'reboot'], action: 'interrupt', risk: 'high', attempts: 3 },
    ],
    channels: { approvals: 'C01APPROVALS', security: 'C01SECURITY', audit: 'C01AUDIT' },
  });
}

export interface SlackHarness extends SlackUserRequests {
  readonly fake: FakeSlackApi;
  readonly store: SqliteStore;
  readonly deps: ServiceDeps;
  readonly notifications: NotificationSystem;
  readonly eventsUrl: string;
  readonly baseUrl: string;
  close(): Promise<void>;
}

/**
 * The real Bolt receiver on the product's express app over HTTP on 127.0.0.1, the real
 * outbox worker, SQLite in memory, and a fake Slack Web API recording what was sent.
 */
export async function startSlackHarness(
  options: {
    delivery?: Partial<DeliveryOptions>;
    logLevel?: string;
    sqliteFile?: string;
    /** False: keep the policy already in `sqliteFile` (another harness, such as the proxy's, wrote it). */
    applyPolicy?: boolean;
  } = {},
): Promise<SlackHarness> {
  const fake = await FakeSlackApi.start();
  const store = SqliteStore.open(options.sqliteFile ?? ':memory:');
  const policy = slackTestPolicy();
  if (options.applyPolicy !== false) await store.policy.apply({
    replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules, freezes: policy.freezes },
    channels: policy.channels,
    settings: policy.settings,
  });
  const deps = createServiceDeps({ store, clock: systemClock, parser: await sharedParser(), policyMaxAgeMs: 0 });
  const logger = createLogger(options.logLevel ?? 'silent');
  const approvalLinks = new ApprovalLinks(Buffer.alloc(32, 7), PUBLIC_URL);
  const notifications = startNotificationSystem({
    deps,
    approvalLinks,
    publicUrl: PUBLIC_URL,
    logger,
    slack: { botToken: 'xoxb-test-token', apiUrl: fake.apiUrl },
    delivery: { pollMs: 50, backoffBaseMs: 50, backoffMaxMs: 200, ...options.delivery },
  });
  // The real portal app: Bolt is mounted after the portal's router, as in main.ts.
  const web = createWebApp({ deps, logger, publicUrl: PUBLIC_URL, bind: '127.0.0.1', secret: Buffer.alloc(32, 7), approvalLinks, slackConfigured: true });
  createSlackAdapter(
    { botToken: 'xoxb-test-token', signingSecret: SIGNING_SECRET, appToken: undefined, apiUrl: fake.apiUrl },
    { deps, webLinks: notifications.webLinks, templates: notifications.templates, reports: PeriodReportRenderer.load(), approvalLinks, logger },
    web,
    logger,
  );
  const http = await new Promise<Server>((resolve) => {
    const server = web.listen(0, '127.0.0.1', () => resolve(server));
  });
  const address = http.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const eventsUrl = `${baseUrl}${SLACK_EVENTS_PATH}`;
  return {
    fake,
    store,
    deps,
    notifications,
    eventsUrl,
    baseUrl,
    ...slackUserRequests(eventsUrl, SIGNING_SECRET, (id) => fake.responseUrl(id)),
    async close() {
      await notifications.stop();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await fake.close();
      await store.close();
    },
  };
}
