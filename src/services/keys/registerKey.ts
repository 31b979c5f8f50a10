import ssh2 from 'ssh2';
import { z } from 'zod';
import { keyFingerprint } from '../../domain/session/publicKeys.js';
import type { RegisteredKey } from '../../store/accountRepository.js';
import { DuplicateKeyError } from '../../store/storeErrors.js';
import type { Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

export const MAX_KEYS_PER_USER = 20;
const MIN_RSA_BITS = 2048;
const ACCEPTED_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];

const publicKeyText = z
  .string()
  .trim()
  .min(1, 'paste your public key, e.g. the contents of ~/.ssh/id_ed25519.pub')
  .max(16_384, 'is too long for an SSH public key')
  .refine((text) => !/PRIVATE KEY/.test(text), 'is a PRIVATE key: never paste it anywhere (generate a new one); paste the .pub file')
  .refine((text) => !/[\r\n]/.test(text), 'must be one line (the .pub file)');

const fingerprintText = z
  .string()
  .trim()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be a fingerprint like SHA256:GmcgAJBCHMSQ/+ypDzq7COF/IOBKFBvMN38yyJVYiWA (see /change key list)');

/** Parses an OpenSSH public key line; invalid input says what is wrong. */
export function parsePublicKey(input: string): { type: string; blob: Buffer; comment: string; fingerprint: string; line: string } {
  const text = publicKeyText.safeParse(input);
  if (!text.success) throw invalidKey(text.error.issues[0]?.message ?? 'is not a public key');
  const parsed = ssh2.utils.parseKey(text.data);
  if (parsed instanceof Error) throw invalidKey(`is not an OpenSSH public key (${parsed.message})`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) throw invalidKey('is not an OpenSSH public key');
  if (key.isPrivateKey()) throw invalidKey('is a PRIVATE key: never paste it anywhere (generate a new one); paste the .pub file');
  if (!ACCEPTED_TYPES.includes(key.type)) throw invalidKey(`is a ${key.type} key; use ed25519 (ssh-keygen -t ed25519), ECDSA or RSA of ${MIN_RSA_BITS}+ bits`);
  const blob = key.getPublicSSH();
  if (key.type === 'ssh-rsa' && rsaModulusBits(blob) < MIN_RSA_BITS) throw invalidKey(`is an RSA key under ${MIN_RSA_BITS} bits; use ed25519 (ssh-keygen -t ed25519)`);
  const comment = key.comment.trim().slice(0, 200);
  return { type: key.type, blob, comment, fingerprint: keyFingerprint(blob), line: `${key.type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}` };
}

/** A user registers a public key for the proxy; a key belongs to one user only. The key and its record are one write. */
export async function registerKey(deps: ServiceDeps, actor: Actor, input: string): Promise<RegisteredKey> {
  await authorise(deps, actor, 'key.manage', { account: actor.userId }, { eventType: 'CREATE', class: 'SSH_KEY', object: actor.userId });
  const key = parsePublicKey(input);
  const existing = await deps.store.accounts.listKeys(actor.userId);
  if (existing.length >= MAX_KEYS_PER_USER) {
    throw new ServiceError('conflict', `you have ${MAX_KEYS_PER_USER} keys registered already; remove one first`);
  }
  const registered: RegisteredKey = { user: actor.userId, fingerprint: key.fingerprint, publicKey: key.line, addedAt: deps.clock() };
  const commit = await new CommitBuilder(deps, actor)
    .audit({
      status: 'S',
      eventType: 'CREATE',
      class: 'SSH_KEY',
      object: key.fingerprint,
      details: `${key.type} key${key.comment ? ` "${key.comment}"` : ''} registered for ${actor.userId}`,
    })
    .build();
  try {
    await deps.store.accounts.addKey(registered, commit);
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    await deps.audit.record(actor, { status: 'D', eventType: 'CREATE', class: 'SSH_KEY', object: key.fingerprint, details: 'key already registered' });
    // Whose key it is stays private: only that it cannot be used twice.
    throw new ServiceError('conflict', `the key ${key.fingerprint} is registered already`);
  }
  committed(deps, commit);
  return registered;
}

export async function listKeys(deps: ServiceDeps, userId: string): Promise<RegisteredKey[]> {
  return deps.store.accounts.listKeys(userId);
}

/** A user removes one of their own keys, named by fingerprint. The removal and its record are one write. */
export async function removeKey(deps: ServiceDeps, actor: Actor, input: string): Promise<void> {
  await authorise(deps, actor, 'key.manage', { account: actor.userId }, { eventType: 'DELETE', class: 'SSH_KEY', object: actor.userId });
  const fingerprint = fingerprintText.safeParse(input);
  if (!fingerprint.success) throw new ServiceError('invalid', `fingerprint: ${fingerprint.error.issues[0]?.message ?? 'is invalid'}`, { fingerprint: 'is invalid' });
  const commit = await new CommitBuilder(deps, actor).audit({ status: 'S', eventType: 'DELETE', class: 'SSH_KEY', object: fingerprint.data, details: `key removed by ${actor.userId}` }).build();
  const removed = await deps.store.accounts.removeKey(actor.userId, fingerprint.data, commit);
  if (!removed) throw new ServiceError('not_found', `you have no key ${fingerprint.data}`);
  committed(deps, commit);
}

function invalidKey(problem: string): ServiceError {
  return new ServiceError('invalid', `key: ${problem}`, { key: problem });
}

/** The SSH wire format of an RSA key: string "ssh-rsa", mpint e, mpint n. */
function rsaModulusBits(blob: Buffer): number {
  let offset = 0;
  const next = () => {
    const length = blob.readUInt32BE(offset);
    const value = blob.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return value;
  };
  next();
  next();
  const modulus = next();
  let start = 0;
  while (start < modulus.length && modulus[start] === 0) start++;
  if (start >= modulus.length) return 0;
  return (modulus.length - start - 1) * 8 + (32 - Math.clz32(modulus[start]!));
}
