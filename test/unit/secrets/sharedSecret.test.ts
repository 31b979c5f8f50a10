import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveKey } from '../../../src/secrets/deriveKey.js';
import { loadSharedSecret } from '../../../src/secrets/linkSecret.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the shared secret', () => {
  it('is created once in DATA_DIR with mode 0600 and read back unchanged', async () => {
    const dataDir = join(dir, 'data');
    const [first, racing] = await Promise.all([loadSharedSecret({ dataDir }), loadSharedSecret({ dataDir })]);
    expect(first).toHaveLength(32);
    expect(racing.equals(first)).toBe(true);
    expect(statSync(join(dataDir, 'link_secret')).mode & 0o777).toBe(0o600);
    expect((await loadSharedSecret({ dataDir })).equals(first)).toBe(true);
  });

  it('comes from CHANGEGUARD_SECRET when given, without touching DATA_DIR', async () => {
    const secret = await loadSharedSecret({ dataDir: join(dir, 'unused'), hex: 'ab'.repeat(32) });
    expect(secret.equals(Buffer.alloc(32, 0xab))).toBe(true);
    expect(() => statSync(join(dir, 'unused'))).toThrow();
  });

  it('refuses a file too short to be a key', async () => {
    writeFileSync(join(dir, 'link_secret'), 'short');
    await expect(loadSharedSecret({ dataDir: dir })).rejects.toThrow(/must hold at least 32 bytes/);
  });

  it('gives each web use its own key', () => {
    const secret = Buffer.alloc(32, 7);
    const keys = [deriveKey(secret, 'web session'), deriveKey(secret, 'web sign-in state'), deriveKey(secret, 'web csrf')];
    expect(new Set([secret, ...keys].map((k) => k.toString('hex'))).size).toBe(4);
    expect(deriveKey(secret, 'web session').equals(keys[0]!)).toBe(true);
  });
});
