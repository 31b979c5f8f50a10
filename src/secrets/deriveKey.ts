import { hkdfSync } from 'node:crypto';

export type KeyPurpose = 'approval links' | 'web session' | 'web sign-in state' | 'web csrf';

/**
 * One key per purpose from the shared secret (HKDF-SHA256), so a value signed for one use
 * (a session cookie) can never pass as another (an approval link).
 */
export function deriveKey(secret: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `changeguard ${purpose}`, 32));
}
