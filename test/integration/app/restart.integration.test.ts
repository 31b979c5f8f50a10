import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { startChangeguard } from '../../../src/main.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { EXAMPLE_POLICY_YAML } from '../../support/factories.js';
import { freePort } from '../../support/freePort.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-app-'));
  writeFileSync(join(dir, 'policy.yml'), EXAMPLE_POLICY_YAML);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the embedded default store', () => {
  it('keeps a filed change across a stop and a start', async () => {
    const env = { DATA_DIR: join(dir, 'data'), POLICY_FILE: join(dir, 'policy.yml'), PORT: String(await freePort()), PROXY_PORT: String(await freePort()) };
    const logger = createLogger('silent');
    const first = await startChangeguard(loadConfig(env), logger);
    const now = Date.now();
    const filed = await registerChange(
      first.deps,
      { title: 'Persist me', group: 'web-ops', devices: ['web01'], script: 'uptime', windowStart: new Date(now + 3600_000), windowEnd: new Date(now + 7200_000) },
      { userId: 'alice', terminal: 'test' },
    );
    await first.stop();

    const second = await startChangeguard(loadConfig(env), logger);
    try {
      expect(await second.deps.store.changes.findByCode(filed.code)).toEqual(filed);
      expect((await second.deps.audit.verify()).ok).toBe(true);
      const health = await fetch(`http://127.0.0.1:${env.PORT}/readyz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ready', checks: { store: 'ok', scheduler: 'ok' } });
    } finally {
      await second.stop();
    }
  });
});

describe('the product process', () => {
  it('starts on the embedded default, stays up, answers /healthz and stops on SIGTERM', async () => {
    const port = await freePort();
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, DATA_DIR: join(dir, 'proc'), PORT: String(port), PROXY_PORT: String(await freePort()), LOG_LEVEL: 'info', POLICY_FILE: join(dir, 'policy.yml'), MONGODB_URI: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not started in time:\n${output}`)), 20_000);
        const check = () => {
          if (output.includes('changeguard started')) {
            clearTimeout(timer);
            resolve();
          } else setTimeout(check, 50);
        };
        check();
      });
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await response.json()).toEqual({ status: 'ok' });
      expect(output).toContain('Slack is not configured');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses to start on a bad variable with one line naming it', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: 'eighty', DATA_DIR: join(dir, 'bad') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toBe('changeguard: PORT: expected a port number\n');
  });
});
