import { hkdfSync } from 'node:crypto';

export type KeyPurpose = 'web session' | 'web sign-in state' | 'web csrf';

/**
 * The web's keys, one per purpose, derived from the shared secret (HKDF-SHA256); approval
 * links are signed with the secret itself. A value signed for one use (a session cookie) can
 * therefore never pass as another (a sign-in state, an approval link).
 */
export function deriveKey(secret: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `changeguard ${purpose}`, 32));
}
