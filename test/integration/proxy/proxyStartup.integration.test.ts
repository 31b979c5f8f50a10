import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { startChangeguard } from '../../../src/main.js';
import { T0 } from '../../support/factories.js';
import { freePort } from '../../support/freePort.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-proxy-start-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The host key the proxy presents, read from a handshake. */
function presentedHostKey(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('error', () => undefined);
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'nobody',
      hostVerifier: (key: Buffer) => {
        resolve(key.toString('base64'));
        return false;
      },
    });
    setTimeout(() => reject(new Error('no handshake')), 10_000).unref();
  });
}

it('keeps its host key across restarts and closes the sessions an earlier run left open', async () => {
  const proxyPort = await freePort();
  const env = { DATA_DIR: join(dir, 'data'), PORT: String(await freePort()), PROXY_PORT: String(proxyPort) };
  const logger = createLogger('silent');
  const first = await startChangeguard(loadConfig(env, { readDotEnv: false }), logger);
  const keyFile = join(dir, 'data', 'proxy_host_ed25519');
  const firstKey = await presentedHostKey(proxyPort);
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  expect(readFileSync(`${keyFile}.pub`, 'utf8')).toContain(firstKey);
  // A session this process was serving when it died.
  await first.deps.store.sessions.create({
    id: 'left-open',
    changeCode: 'CHG-1',
    user: 'alice',
    device: 'web01',
    kind: 'shell',
    justification: 'x',
    clientAddress: '127.0.0.1',
    startedAt: T0,
    state: 'active',
    owner: `${hostname()}:${proxyPort}`,
  });
  await first.stop();

  const second = await startChangeguard(loadConfig(env, { readDotEnv: false }), logger);
  try {
    expect(await presentedHostKey(proxyPort)).toBe(firstKey);
    expect(await second.deps.store.sessions.findById('left-open')).toMatchObject({
      state: 'ended_abnormally',
      endReason: 'the proxy stopped while the session was open',
    });
  } finally {
    await second.stop();
  }
});
