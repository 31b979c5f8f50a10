import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const SECRET_BYTES = 32;

/**
 * The key that signs personal approval links: read from `file`, or created there (32 random
 * bytes, mode 0600) on first start. Created with O_EXCL so two processes starting at once
 * cannot end up with different keys.
 */
export async function readOrCreateLinkSecret(file: string): Promise<Buffer> {
  try {
    return check(await readFile(file), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(file), { recursive: true });
  const secret = randomBytes(SECRET_BYTES);
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(secret);
    } finally {
      await handle.close();
    }
    return secret;
  } catch (error) {
    // Another process created it between our read and our create: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return check(await readFile(file), file);
    throw error;
  }
}

function check(secret: Buffer, file: string): Buffer {
  if (secret.length < SECRET_BYTES) throw new Error(`${file}: the approval link secret must hold at least ${SECRET_BYTES} bytes`);
  return secret;
}

/**
 * The secret behind approval links and web sessions: CHANGEGUARD_SECRET (hex) when given, else
 * `$DATA_DIR/link_secret`. Every process serving the web pages or posting approval links must
 * hold the same bytes: set the variable on all of them, or share DATA_DIR.
 */
export async function loadSharedSecret(source: { readonly hex?: string | undefined; readonly dataDir: string }): Promise<Buffer> {
  if (source.hex) return Buffer.from(source.hex, 'hex');
  return readOrCreateLinkSecret(join(source.dataDir, 'link_secret'));
}
