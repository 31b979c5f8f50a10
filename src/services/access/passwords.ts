import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { formatPasswordHash, parsePasswordHash, PASSWORD_HASH_BOUNDS } from '../../domain/policy/passwordHashFormat.js';

/**
 * scrypt at N = 2^15, r = 8, p = 1: OWASP's recommended floor (about 32 MiB and 50-100 ms per
 * check on a server core). Slow enough that a stolen policy file is costly to attack, quick
 * enough that rate-limited sign-ins do not load the machine.
 */
const DEFAULT_COST = { ln: 15, r: 8, p: 1 } as const;

/** Passwords are checked as UTF-8 bytes; longer ones only slow the hash down. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 12;

function derive(password: string, salt: Buffer, cost: { ln: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** cost.ln, r: cost.r, p: cost.p, maxmem: 256 * 2 ** cost.ln * cost.r * cost.p };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, PASSWORD_HASH_BOUNDS.hashBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** A new hash for the policy (`users[].passwordHash`). Refuses passwords too short to resist guessing. */
export async function hashPassword(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  const salt = randomBytes(PASSWORD_HASH_BOUNDS.saltBytes);
  return formatPasswordHash({ ...DEFAULT_COST, salt, hash: await derive(password, salt, DEFAULT_COST) });
}

export function passwordProblem(password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password may have at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}

let dummyHash: Promise<string> | undefined;

/**
 * Whether `password` matches `stored`. The comparison is constant-time, and a missing or
 * unreadable hash is checked against a throwaway one of the same cost, so how long a refusal
 * takes does not tell whether the user exists or has a password at all.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parsePasswordHash(stored);
  if (parsed === undefined || typeof parsed === 'string' || password.length > MAX_PASSWORD_LENGTH) {
    dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
    const dummy = parsePasswordHash(await dummyHash);
    if (typeof dummy !== 'string') await derive(password.slice(0, MAX_PASSWORD_LENGTH), dummy.salt, dummy);
    return false;
  }
  const derived = await derive(password, parsed.salt, parsed);
  return timingSafeEqual(derived, parsed.hash);
}
