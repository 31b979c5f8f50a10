import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { startChangeguard } from '../../../src/main.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { EXAMPLE_POLICY_YAML } from '../../support/factories.js';
import { eventually, FakeSlackApi } from '../../support/fakeSlackApi.js';
import { freePort } from '../../support/freePort.js';
import { postSlashCommand } from '../../support/signedSlackRequests.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-slack-wiring-'));
  writeFileSync(join(dir, 'policy.yml'), EXAMPLE_POLICY_YAML);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const HOUR = 3600_000;
const input = () => ({ title: 'Wired', group: 'web-ops', devices: ['web01'], script: 'uptime', windowStart: new Date(Date.now() + HOUR), windowEnd: new Date(Date.now() + 2 * HOUR) });

describe('the product without Slack', () => {
  it('keeps notifications in the outbox as not sent, logs them, and creates the link secret 0600', async () => {
    const { logger, lines } = capturingLogger();
    const dataDir = join(dir, 'no-slack');
    const running = await startChangeguard(
      loadConfig({ DATA_DIR: dataDir, POLICY_FILE: join(dir, 'policy.yml'), PORT: String(await freePort()), PROXY_PORT: String(await freePort()) }),
      logger,
    );
    try {
      const change = await registerChange(running.deps, input(), { userId: 'alice', terminal: 'test' });
      const held = await running.deps.store.outbox.list({});
      // The policy file's first import announced itself (audit channel) and its approvers.
      expect(held.filter((m) => m.type === 'audit.trail').map((m) => m.audience)).toEqual(['role:audit']);
      expect(held.filter((m) => m.type === 'access.approver_management').map((m) => m.audience).sort()).toEqual(['role:approvals', 'role:approvals', 'user:bob', 'user:carol']);
      const request = held.filter((m) => m.type.startsWith('access.request'));
      expect(request.map((m) => m.audience).sort()).toEqual(['channel:C01WEBOPS', 'user:alice', 'user:bob', 'user:carol']);
      expect(held.every((m) => m.status === 'not_sent' && m.lastError === 'Slack not configured')).toBe(true);
      expect(lines.some((l) => l.includes('notification not sent: Slack not configured') && l.includes(change.code))).toBe(true);
      expect(statSync(join(dataDir, 'link_secret')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'link_secret')).size).toBe(32);
    } finally {
      await running.stop();
    }
  });
});

describe('the product with Slack over HTTP', () => {
  it('serves /slack/events and the web on one port, and delivers through SLACK_API_URL', async () => {
    const fake = await FakeSlackApi.start();
    const port = await freePort();
    const { logger } = capturingLogger();
    const running = await startChangeguard(
      loadConfig({
        DATA_DIR: join(dir, 'slack'),
        POLICY_FILE: join(dir, 'policy.yml'),
        PORT: String(port),
        PROXY_PORT: String(await freePort()),
        SLACK_BOT_TOKEN: 'xoxb-wired',
        SLACK_SIGNING_SECRET: 'wired-secret',
        SLACK_API_URL: fake.apiUrl,
      }),
      logger,
    );
    try {
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const command = await postSlashCommand(`${base}/slack/events`, { text: 'help', user_id: 'U01ALICE', response_url: fake.responseUrl('help') }, { secret: 'wired-secret' });
      expect(command.status).toBe(200);
      await eventually('the help answer', () => fake.responsesTo('help')[0]);

      const change = await registerChange(running.deps, input(), { userId: 'alice', terminal: 'test' });
      await eventually('the request in bob’s DM', () => fake.callsTo('chat.postMessage').find((c) => c.args.channel === 'U01BOB' && String(c.args.text).includes(change.code)));
      expect(fake.callsTo('chat.postMessage')[0]?.token).toBe('xoxb-wired');
    } finally {
      await running.stop();
      await fake.close();
    }
  });
});
