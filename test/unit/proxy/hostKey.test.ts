import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, loadOrCreateHostKey } from '../../../src/proxy/hostKey.js';

describe('proxy host keys', () => {
  it('are always readable by ssh2 (about 1 in 300 raw ssh2 pairs is not)', () => {
    // Without the re-draw, 1,000 pairs hold a malformed one with a probability of about 97 %.
    for (let i = 0; i < 1000; i++) {
      const pair = generateEd25519KeyPair('test');
      expect(ssh2.utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
      expect(ssh2.utils.parseKey(pair.public)).not.toBeInstanceOf(Error);
    }
  });

  it('are generated once and read back on the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'changeguard-hostkey-'));
    try {
      const file = join(dir, 'keys', 'proxy_host_ed25519');
      const first = loadOrCreateHostKey(file);
      expect(loadOrCreateHostKey(file).equals(first)).toBe(true);
      expect(readFileSync(`${file}.pub`, 'utf8')).toMatch(/^ssh-ed25519 \S+ changeguard proxy\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
