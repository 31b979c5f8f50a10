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
  const pair = generateEd25519KeyPair('changeguard proxy');
  writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${file}.pub`, `${pair.public}\n`, { mode: 0o644 });
  return Buffer.from(pair.private);
}

const KEY_GENERATION_ATTEMPTS = 10;

/**
 * An ed25519 key pair in OpenSSH format that ssh2 can read back. About one pair in 300 from
 * ssh2.utils.generateKeyPairSync is malformed (neither half parses): a proxy that kept such a
 * host key failed to start, then refused the file on every later start. Such pairs are
 * drawn again.
 */
export function generateEd25519KeyPair(comment?: string): { private: string; public: string } {
  for (let attempt = 0; attempt < KEY_GENERATION_ATTEMPTS; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
  throw new Error(`could not generate a readable ed25519 key in ${KEY_GENERATION_ATTEMPTS} attempts`);
}
