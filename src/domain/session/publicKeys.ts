import { createHash } from 'node:crypto';

/** SHA256 fingerprint of a public key blob, as `ssh-keygen -l` prints it. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key blob of an OpenSSH public key line (`ssh-ed25519 AAAA... comment`); null if it is not one. */
export function keyBlobOf(line: string): Buffer | null {
  const [type, base64] = line.trim().split(/\s+/);
  if (type === undefined || base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  const blob = Buffer.from(base64, 'base64');
  // The blob starts with its own type name: a line whose two halves disagree is not a key.
  if (blob.length < 4) return null;
  const nameLength = blob.readUInt32BE(0);
  if (blob.length < 4 + nameLength || blob.subarray(4, 4 + nameLength).toString('latin1') !== type) return null;
  return blob;
}
