import { PeriodReportRenderer } from '../../../src/notify/periodReportRenderer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/domain/clock.js';
import { createLogger } from '../../../src/logger.js';
import { startNotificationSystem, type NotificationSystem } from '../../../src/notify/notificationSystem.js';
import { ApprovalLinks } from '../../../src/services/links/approvalLinks.js';
import { createServiceDeps } from '../../../src/services/serviceDeps.js';
import { createSlackAdapter, type SlackAdapter } from '../../../src/slack/slackAdapter.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { createWebApp } from '../../../src/web/webApp.js';
import { eventually, FakeSlackApi } from '../../support/fakeSlackApi.js';
import { FakeSocketModeServer } from '../../support/fakeSocketModeServer.js';
import { sharedParser } from '../../support/sharedParser.js';
import { SLACK, slackTestPolicy } from '../../support/slackHarness.js';

let fake: FakeSlackApi;
let socket: FakeSocketModeServer;
let store: SqliteStore;
let notifications: NotificationSystem;
let adapter: SlackAdapter;

beforeAll(async () => {
  fake = await FakeSlackApi.start();
  socket = await FakeSocketModeServer.start();
  fake.socketModeUrl = socket.url;
  store = SqliteStore.open(':memory:');
  const policy = slackTestPolicy();
  await store.policy.apply({ replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules }, channels: policy.channels, settings: policy.settings });
  const deps = createServiceDeps({ store, clock: systemClock, parser: await sharedParser(), policyMaxAgeMs: 0 });
  const logger = createLogger('silent');
  const approvalLinks = new ApprovalLinks(Buffer.alloc(32, 3), 'https://changeguard.example');
  notifications = startNotificationSystem({ deps, approvalLinks, publicUrl: 'https://changeguard.example', logger, slack: { botToken: 'xoxb-socket', apiUrl: fake.apiUrl } });
  adapter = createSlackAdapter(
    { botToken: 'xoxb-socket', signingSecret: undefined, appToken: 'xapp-1-socket', apiUrl: fake.apiUrl },
    { deps, webLinks: notifications.webLinks, templates: notifications.templates, reports: PeriodReportRenderer.load(), approvalLinks, logger },
    createWebApp({ deps, logger, publicUrl: 'https://changeguard.example', bind: '127.0.0.1', secret: Buffer.alloc(32, 3), approvalLinks, slackConfigured: true }),
    logger,
  );
  await adapter.start();
});
afterAll(async () => {
  await adapter.stop();
  await notifications.stop();
  await socket.close();
  await fake.close();
  await store.close();
});

describe('Socket Mode', () => {
  it('connects out through apps.connections.open and acknowledges a slash command over the socket', async () => {
    expect(adapter.mode).toBe('socket');
    const opened = fake.callsTo('apps.connections.open')[0];
    expect(opened?.token).toBe('xapp-1-socket');
    socket.send({
      envelope_id: 'env-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: { command: '/change', text: 'help', user_id: SLACK.alice, team_id: 'T01TEAM', api_app_id: 'A01APP', trigger_id: 't1', response_url: fake.responseUrl('socket-help'), channel_id: 'C01GENERAL' },
    });
    const ack = await eventually('the acknowledgement', () => socket.received.find((m) => m.envelope_id === 'env-1'));
    expect(ack).toEqual({ envelope_id: 'env-1', payload: {} });
    const answer = await eventually('the help answer', () => fake.responsesTo('socket-help')[0]);
    expect(String(answer.body.text)).toContain('/change new');
  });
});
