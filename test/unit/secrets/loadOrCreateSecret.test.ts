import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config.js';
import { deriveKey } from '../../../src/secrets/deriveKey.js';
import { loadOrCreateSecret } from '../../../src/secrets/loadOrCreateSecret.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the shared secret', () => {
  it('is created once with mode 0600 and read back unchanged', async () => {
    const dataDir = join(dir, 'data');
    const [first, racing] = await Promise.all([loadOrCreateSecret({ dataDir }), loadOrCreateSecret({ dataDir })]);
    expect(first).toHaveLength(32);
    expect(racing.equals(first)).toBe(true);
    expect(statSync(join(dataDir, 'link_secret')).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateSecret({ dataDir })).equals(first)).toBe(true);
  });

  it('comes from CHANGEGUARD_SECRET when given, without touching the file', async () => {
    const secret = await loadOrCreateSecret({ dataDir: join(dir, 'unused'), hex: 'ab'.repeat(32) });
    expect(secret.equals(Buffer.alloc(32, 0xab))).toBe(true);
  });

  it('refuses a file too short to be a key', async () => {
    writeFileSync(join(dir, 'link_secret'), 'short');
    await expect(loadOrCreateSecret({ dataDir: dir })).rejects.toThrow(ConfigError);
    await expect(loadOrCreateSecret({ dataDir: dir })).rejects.toThrow(/holds 5 bytes, expected at least 32/);
  });

  it('derives distinct keys per purpose', () => {
    const secret = Buffer.alloc(32, 7);
    const keys = [deriveKey(secret, 'approval links'), deriveKey(secret, 'web session'), deriveKey(secret, 'web csrf')];
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(3);
    expect(deriveKey(secret, 'web session').equals(keys[1]!)).toBe(true);
  });
});
