/**
 * The form of a web password hash in the policy (`users[].passwordHash`): a PHC string for
 * scrypt, as `changeguard password hash` prints it:
 *
 *   $scrypt$ln=15,r=8,p=1$<salt, base64>$<hash, base64>
 *
 * The cost parameters travel with the hash so they can be raised later without invalidating
 * the hashes already handed out. They are bounded: a policy line must not be able to make one
 * sign-in attempt take minutes or gigabytes.
 */
export interface PasswordHashParameters {
  /** log2 of scrypt's N (CPU/memory cost). */
  readonly ln: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export const PASSWORD_HASH_BOUNDS = { ln: [14, 20], r: [8, 32], p: [1, 4], saltBytes: 16, hashBytes: 32 } as const;

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** Parses a stored hash; returns a sentence saying what is wrong instead when it is not one. */
export function parsePasswordHash(text: string): PasswordHashParameters | string {
  const match = PHC.exec(text);
  if (!match) return 'must be a hash printed by `changeguard password hash` ($scrypt$ln=..,r=..,p=..$salt$hash)';
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const salt = Buffer.from(match[4]!, 'base64');
  const hash = Buffer.from(match[5]!, 'base64');
  const bounds = PASSWORD_HASH_BOUNDS;
  if (ln < bounds.ln[0] || ln > bounds.ln[1]) return `ln (scrypt cost) must be from ${bounds.ln[0]} to ${bounds.ln[1]}, got ${ln}`;
  if (r < bounds.r[0] || r > bounds.r[1]) return `r (scrypt block size) must be from ${bounds.r[0]} to ${bounds.r[1]}, got ${r}`;
  if (p < bounds.p[0] || p > bounds.p[1]) return `p (scrypt parallelism) must be from ${bounds.p[0]} to ${bounds.p[1]}, got ${p}`;
  if (salt.length < bounds.saltBytes) return `the salt must be at least ${bounds.saltBytes} bytes`;
  if (hash.length !== bounds.hashBytes) return `the hash must be ${bounds.hashBytes} bytes`;
  return { ln, r, p, salt, hash };
}

/** The PHC string of a hash (standard base64 without padding, as PHC strings write it). */
export function formatPasswordHash(parameters: PasswordHashParameters): string {
  const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${parameters.ln},r=${parameters.r},p=${parameters.p}$${b64(parameters.salt)}$${b64(parameters.hash)}`;
}
