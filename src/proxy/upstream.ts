import { readFile } from 'node:fs/promises';
import ssh2, { type Client } from 'ssh2';
import type { PolicyDevice } from '../domain/policy/policy.js';
import { keyBlobOf, keyFingerprint } from '../domain/session/publicKeys.js';

/** The server could not be reached, refused us, or was not the server we pinned. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly hostKey?: { readonly expected: string; readonly presented: string },
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
};

/**
 * Logs in to a device with its credential (a private key file or a password from the
 * environment; secrets are never stored) and only if it presents the pinned host key. A
 * device without a pinned key is refused: changeguard never trusts a server on first use.
 */
export async function connectUpstream(device: PolicyDevice, options: { readyTimeoutMs?: number } = {}): Promise<Client> {
  if (!device.hostKey) throw new UpstreamError(`${device.id} has no pinned host key in the policy (devices[].hostKey)`);
  const pinned = keyBlobOf(device.hostKey);
  const keyType = device.hostKey.trim().split(/\s+/)[0] ?? '';
  const algorithms = HOST_KEY_ALGORITHMS[keyType];
  if (!pinned || !algorithms) throw new UpstreamError(`${device.id}: the pinned host key is not a supported OpenSSH public key`);

  const credentials: { privateKey?: Buffer; passphrase?: string; password?: string } = {};
  if ('privateKeyFile' in device.credential) {
    try {
      credentials.privateKey = await readFile(device.credential.privateKeyFile);
    } catch (error) {
      throw new UpstreamError(`${device.id}: cannot read its private key file: ${(error as Error).message}`);
    }
    if (device.credential.passphraseEnv) {
      const passphrase = process.env[device.credential.passphraseEnv];
      if (passphrase === undefined) throw new UpstreamError(`${device.id}: ${device.credential.passphraseEnv} is not set`);
      credentials.passphrase = passphrase;
    }
  } else {
    const password = process.env[device.credential.passwordEnv];
    if (password === undefined) throw new UpstreamError(`${device.id}: ${device.credential.passwordEnv} is not set`);
    credentials.password = password;
  }

  let presented: Buffer | undefined;
  const client = new ssh2.Client();
  return new Promise<Client>((resolve, reject) => {
    const fail = (error: Error) => {
      client.removeAllListeners('ready');
      client.end();
      if (presented && !presented.equals(pinned)) {
        reject(
          new UpstreamError(`${device.id} presented a host key that does not match the pinned one: the session is refused`, {
            expected: keyFingerprint(pinned),
            presented: keyFingerprint(presented),
          }),
        );
      } else {
        reject(new UpstreamError(`cannot log in to ${device.id}: ${error.message}`));
      }
    };
    // Keystrokes are tiny packets: Nagle's algorithm would hold each one back.
    client.once('connect', () => client.setNoDelay(true));
    client.once('ready', () => {
      client.removeListener('error', fail);
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', fail);
    client.connect({
      host: device.host,
      port: device.port,
      username: device.user,
      ...credentials,
      readyTimeout: options.readyTimeoutMs ?? 15_000,
      keepaliveInterval: 15_000,
      algorithms: { serverHostKey: algorithms as ssh2.ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer) => {
        presented = Buffer.from(key);
        return presented.equals(pinned);
      },
    });
  });
}
