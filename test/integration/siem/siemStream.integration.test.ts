import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { freePort } from '../../support/freePort.js';
import {
  selfSignedCertificate,
  startSyslogReceiver,
  startWebhookReceiver,
  type SyslogReceiver,
  type TestCertificate,
  type WebhookReceiver,
} from '../../support/siemReceivers.js';
import { waitFor } from '../../support/waitFor.js';
import { WebClient } from '../../support/webClient.js';

/**
 * The SIEM stream from the real product process (tsx src/main.ts on SQLite) to real receivers
 * on 127.0.0.1: syslog over TCP and over TLS (RFC 5424, octet-counted) and an HTTPS webhook
 * that checks the HMAC of every request; certificates made in the test. Audit records come
 * from the product's own work (the policy import at start, a web sign-in, a lock from the
 * locks page, which also raises an alert) and from another process writing the same file.
 */
const root = fileURLToPath(new URL('../../..', import.meta.url));
const SECRET = 'siem-webhook-secret-0123456789abcdef0123';
const AUDIT_FACILITY = 13;

const dirs: string[] = [];
const children: ChildProcess[] = [];
const receivers: { close(): Promise<void> }[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const receiver of receivers) await receiver.close().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

type StreamEvent = Record<string, unknown> & { id: string; pos: number; kind: string };

interface Product {
  readonly child: ChildProcess;
  readonly output: () => string;
}

async function setUp(): Promise<{ dir: string; env: Record<string, string>; cert: TestCertificate; certFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'changeguard-siem-'));
  dirs.push(dir);
  const cert = await selfSignedCertificate();
  const certFile = join(dir, 'receiver-ca.pem');
  writeFileSync(certFile, cert.cert);
  writeFileSync(
    join(dir, 'policy.yml'),
    [
      'users:',
      '  - { id: alice, name: Alice, roles: [requester] }',
      '  - { id: sam, name: Sam, roles: [security] }',
      'channels: { security: C01SECURITY }',
      '',
    ].join('\n'),
  );
  const env = {
    DATA_DIR: join(dir, 'data'),
    POLICY_FILE: join(dir, 'policy.yml'),
    PORT: String(await freePort()),
    PROXY_PORT: String(await freePort()),
    MONGODB_URI: '',
    LOG_LEVEL: 'info',
  };
  return { dir, env, cert, certFile };
}

async function startProduct(env: Record<string, string>): Promise<Product> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    'changeguard to start',
    () => {
      if (child.exitCode !== null) throw new Error(`changeguard exited (${child.exitCode}):\n${output}`);
      return output.includes('changeguard started');
    },
    { timeoutMs: 60_000 },
  );
  return { child, output: () => output };
}

/** What the stream must carry: every audit record and every security alert, in the order stored. */
async function storedStream(env: Record<string, string>): Promise<{ audit: number; alerts: number; hashes: Map<number, string> }> {
  const store = SqliteStore.open(join(env.DATA_DIR!, 'changeguard.db'));
  try {
    const { records } = await store.audit.list({ limit: 100_000, offset: 0 });
    const alerts = await store.outbox.list({ audience: 'role:security' });
    return { audit: records.length, alerts: alerts.length, hashes: new Map(records.map((r) => [r.seq, r.hash])) };
  } finally {
    await store.close();
  }
}

/** First arrivals in order; a repeat (at-least-once) must be the same event again. */
function firstArrivals(events: readonly StreamEvent[]): StreamEvent[] {
  const seen = new Map<string, string>();
  const firsts: StreamEvent[] = [];
  for (const event of events) {
    const text = JSON.stringify(event);
    const earlier = seen.get(event.id);
    if (earlier !== undefined) {
      expect(text, `a repeat of ${event.id} is the same event`).toBe(earlier);
      continue;
    }
    seen.set(event.id, text);
    firsts.push(event);
  }
  return firsts;
}

const webhookEvents = (webhook: WebhookReceiver) => webhook.requests.flatMap((r) => r.lines);
const syslogEvents = (syslog: SyslogReceiver) => syslog.messages.map((m) => m.json);

async function lockAlice(env: Record<string, string>): Promise<void> {
  const sam = new WebClient(`http://127.0.0.1:${env.PORT}`);
  await sam.signInLocally('sam');
  await sam.page('/locks');
  const response = await sam.post('/locks', { user: 'alice', reason: 'suspicious logins' });
  expect(response.status).toBe(303);
}

/** Another process writing to the same store (the CLI, a second changeguard). */
async function appendRecords(env: Record<string, string>, count: number, label: string): Promise<void> {
  const store = SqliteStore.open(join(env.DATA_DIR!, 'changeguard.db'));
  try {
    for (let i = 1; i <= count; i++) await store.audit.append({ at: new Date(), status: 'S', eventType: 'TEST', class: 'SIEM', actor: 'test', details: `${label} ${i}` });
  } finally {
    await store.close();
  }
}

async function sinkStatus(env: Record<string, string>) {
  const store = SqliteStore.open(join(env.DATA_DIR!, 'changeguard.db'));
  try {
    return await store.siemFeed.status();
  } finally {
    await store.close();
  }
}

describe('the SIEM stream', () => {
  it('sends every audit record and alert, in order, over syslog TCP and a signed HTTPS webhook', { timeout: 120_000 }, async () => {
    const { env, cert, certFile } = await setUp();
    const syslog = await startSyslogReceiver();
    const webhook = await startWebhookReceiver({ tls: cert, secret: SECRET });
    receivers.push(syslog, webhook);
    Object.assign(env, { SIEM_SYSLOG_URL: `tcp://127.0.0.1:${syslog.port}`, SIEM_WEBHOOK_URL: webhook.url, SIEM_WEBHOOK_SECRET: SECRET, SIEM_WEBHOOK_CA_FILE: certFile });
    const product = await startProduct(env);
    expect(product.output()).toContain('SIEM stream on');
    await lockAlice(env);

    const stored = await storedStream(env);
    const total = stored.audit + stored.alerts;
    expect(stored.alerts).toBeGreaterThanOrEqual(1);
    await waitFor('both sinks to have every event', () => firstArrivals(syslogEvents(syslog)).length >= total && firstArrivals(webhookEvents(webhook)).length >= total, { timeoutMs: 30_000 });

    for (const events of [syslogEvents(syslog), webhookEvents(webhook)]) {
      const firsts = firstArrivals(events);
      expect(firsts.map((e) => e.pos)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(firsts.filter((e) => e.kind === 'audit')).toHaveLength(stored.audit);
      // Each audit event is the record as chained in the trail.
      for (const event of firsts.filter((e) => e.kind === 'audit')) {
        const record = event.record as { seq: number; hash: string };
        expect(event.id).toBe(`audit:${record.seq}:${record.hash.slice(0, 16)}`);
        expect(record.hash).toBe(stored.hashes.get(record.seq));
      }
      const alert = firsts.find((e) => e.kind === 'alert')!;
      expect(alert.alert).toMatchObject({ type: 'session.account_locked', data: expect.objectContaining({ details: expect.objectContaining({ user: 'alice' }) }) });
      // The lock's audit record comes before its alert: both were one write, record first.
      const lock = firsts.find((e) => e.kind === 'audit' && (e.record as { eventType: string }).eventType === 'LOCK')!;
      expect(lock.pos).toBeLessThan(alert.pos);
    }

    // Syslog: RFC 5424 headers, the idempotency id in structured data, nothing malformed.
    expect(syslog.malformed).toEqual([]);
    for (const message of syslog.messages) {
      expect(message.version).toBe('1');
      expect(message.appName).toBe('changeguard');
      expect(message.msgId).toBe(message.json.kind);
      expect(message.structuredData).toBe(`[changeguard@32473 id="${message.json.id}" pos="${message.json.pos}"]`);
      expect(message.timestamp).toBe(message.json.at);
      expect(Math.floor(message.pri / 8)).toBe(AUDIT_FACILITY);
    }
    const lockAlert = syslog.messages.find((m) => m.json.kind === 'alert')!;
    expect(lockAlert.pri % 8).toBe(4);
    const signIn = syslog.messages.find((m) => m.json.kind === 'audit' && (m.json.record as { eventType: string }).eventType === 'SIGNIN')!;
    expect(signIn.pri % 8).toBe(6);

    // Webhook: every request signed, JSON lines.
    expect(webhook.requests.every((r) => r.signatureValid)).toBe(true);
    expect(webhook.requests.every((r) => r.contentType === 'application/x-ndjson')).toBe(true);
    product.child.kill('SIGTERM');
    await new Promise((resolve) => product.child.once('exit', resolve));
  });

  it('loses nothing when the process is killed while the sinks are down (TLS syslog, webhook): after a restart every event arrives, in order', { timeout: 180_000 }, async () => {
    const { env, cert, certFile } = await setUp();
    let syslog = await startSyslogReceiver({ tls: cert });
    let webhook = await startWebhookReceiver({ tls: cert, secret: SECRET });
    receivers.push(syslog, webhook);
    const ports = { syslog: syslog.port, webhook: webhook.port };
    Object.assign(env, {
      SIEM_SYSLOG_URL: `tls://127.0.0.1:${syslog.port}`,
      SIEM_SYSLOG_CA_FILE: certFile,
      SIEM_WEBHOOK_URL: webhook.url,
      SIEM_WEBHOOK_SECRET: SECRET,
      SIEM_WEBHOOK_CA_FILE: certFile,
    });
    const first = await startProduct(env);
    const atStart = await storedStream(env);
    await waitFor('the start-up records at both sinks', () => syslog.messages.length >= atStart.audit && webhookEvents(webhook).length >= atStart.audit, { timeoutMs: 30_000 });
    const received = { syslog: [...syslogEvents(syslog)], webhook: [...webhookEvents(webhook)] };

    // The sinks go down; changeguard keeps working and writing.
    await syslog.close();
    await webhook.close();
    await lockAlice(env);
    await appendRecords(env, 30, 'written while the sinks are down');
    await waitFor('both sinks to have failed an attempt', async () => (await sinkStatus(env)).every((s) => s.failures > 0 && s.backlog > 0), { timeoutMs: 30_000 });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    await appendRecords(env, 20, 'written while changeguard is down');

    // The sinks come back on their addresses (the webhook refusing its first two requests); changeguard restarts.
    syslog = await startSyslogReceiver({ tls: cert, port: ports.syslog });
    webhook = await startWebhookReceiver({ tls: cert, secret: SECRET, port: ports.webhook });
    webhook.failNext = 2;
    receivers.push(syslog, webhook);
    const second = await startProduct(env);
    const stored = await storedStream(env);
    const total = stored.audit + stored.alerts;
    const all = () => ({ syslog: [...received.syslog, ...syslogEvents(syslog)], webhook: [...received.webhook, ...webhookEvents(webhook)] });
    await waitFor('every event at both sinks after the restart', () => firstArrivals(all().syslog).length >= total && firstArrivals(all().webhook).length >= total, { timeoutMs: 90_000 });

    for (const [sink, events] of Object.entries(all())) {
      const firsts = firstArrivals(events);
      expect(firsts.map((e) => e.pos), `${sink}: every event once, in stream order`).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(firsts.filter((e) => e.kind === 'audit').map((e) => (e.record as { seq: number }).seq), `${sink}: every audit record`).toEqual(Array.from({ length: stored.audit }, (_, i) => i + 1));
      expect(firsts.filter((e) => e.kind === 'alert')).toHaveLength(stored.alerts);
      const details = firsts.filter((e) => e.kind === 'audit').map((e) => (e.record as { details?: string }).details ?? '');
      expect(details.filter((d) => d.startsWith('written while changeguard is down'))).toHaveLength(20);
    }
    expect(webhook.requests.filter((r) => r.lines.length > 0).every((r) => r.signatureValid)).toBe(true);
    expect(syslog.malformed).toEqual([]);
    const status = await sinkStatus(env);
    expect(status.map((s) => [s.sink, s.backlog, s.failures])).toEqual([
      ['syslog', 0, 0],
      ['webhook', 0, 0],
    ]);
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  });
});
