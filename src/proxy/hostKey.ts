import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { ConfigError } from '../config.js';

/**
 * The proxy's own host key: read from `file`, or generated (ed25519) on first start and kept
 * there, so users' known_hosts entries stay valid across restarts.
 */
export function loadOrCreateHostKey(file: string): Buffer {
  if (existsSync(file)) {
    const key = readFileSync(file);
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error || !parsed.isPrivateKey()) {
      throw new ConfigError(`PROXY_HOST_KEY_FILE: ${file} is not an unencrypted OpenSSH private key${parsed instanceof Error ? ` (${parsed.message})` : ''}`);
    }
    return key;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'changeguard proxy' });
  writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${file}.pub`, `${pair.public}\n`, { mode: 0o644 });
  return Buffer.from(pair.private);
}
