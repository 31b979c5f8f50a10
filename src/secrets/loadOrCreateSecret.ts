import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

export const SECRET_BYTES = 32;
export const SECRET_FILE_NAME = 'link_secret';

export interface SecretSource {
  /** `CHANGEGUARD_SECRET` (hex), when set: wins over the file. */
  readonly hex?: string | undefined;
  readonly dataDir: string;
}

/**
 * The one secret behind approval links and web sessions. Every process that serves the web
 * pages or posts approval links must hold the same bytes: give them `CHANGEGUARD_SECRET`, or
 * a `DATA_DIR` on shared storage. Created (32 random bytes, mode 0600) on first start.
 */
export async function loadOrCreateSecret(source: SecretSource): Promise<Buffer> {
  if (source.hex) return Buffer.from(source.hex, 'hex');
  const file = join(source.dataDir, SECRET_FILE_NAME);
  await mkdir(source.dataDir, { recursive: true });
  try {
    // `wx`: two processes starting at once on a shared directory cannot both create it.
    await writeFile(file, randomBytes(SECRET_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError(`DATA_DIR: cannot create ${file}: ${(error as Error).message}`);
    }
  }
  const secret = await readFile(file).catch((error: Error) => {
    throw new ConfigError(`DATA_DIR: cannot read ${file}: ${error.message}`);
  });
  if (secret.length < SECRET_BYTES) {
    throw new ConfigError(`DATA_DIR: ${file} holds ${secret.length} bytes, expected at least ${SECRET_BYTES}; delete it to have a new one made`);
  }
  // A file copied in by hand with a lax mode is tightened rather than refused.
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600).catch(() => undefined);
  return secret;
}
