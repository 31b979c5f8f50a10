/**
 * An interactive SSH session driven by a program (benchmarks and the load test): an ssh2
 * client with a PTY, its output kept as text, and waiting for what the output must show.
 */
import ssh2, { type Client, type ClientChannel } from 'ssh2';
import { LeakCounter } from './protocolLeaks.js';

export interface Shell {
  readonly stream: ClientChannel;
  output: string;
  /** The server closed the channel: waiting for more output fails at once. */
  closed: boolean;
  /** Pieces of changeguard's device protocol the user was shown (must stay 0). */
  readonly leaks: LeakCounter;
  /** Resolves once `predicate` holds, checked as output arrives (no polling loop to steal CPU). */
  until(predicate: () => boolean, what: string): Promise<void>;
  close(): void;
}

export function connect(config: ssh2.ConnectConfig): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ readyTimeout: 60_000, ...config });
  });
}

/** Opens a shell with a PTY on a fresh connection, answers changeguard's justification question when given one, and waits for the first prompt. */
export async function shellOn(open: () => Promise<Client>, justification?: string): Promise<Shell> {
  const client = await open();
  client.setNoDelay(true);
  const stream = await new Promise<ClientChannel>((resolve, reject) =>
    client.shell({ term: 'xterm', cols: 120, rows: 40 }, (error, channel) => (error ? reject(error) : resolve(channel))),
  );
  const waiters = new Set<() => void>();
  const shell: Shell = {
    stream,
    output: '',
    closed: false,
    leaks: new LeakCounter(),
    until(predicate, what) {
      if (predicate()) return Promise.resolve();
      if (shell.closed) return Promise.reject(new Error(`the session closed while waiting for ${what}`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}`));
        }, 60_000);
        const check = () => {
          if (predicate()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (shell.closed) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`the session closed while waiting for ${what}`));
          }
        };
        waiters.add(check);
      });
    },
    close: () => client.end(),
  };
  stream.on('data', (chunk: Buffer) => {
    shell.output += chunk.toString('latin1');
    shell.leaks.push(chunk.toString('latin1'));
    for (const check of [...waiters]) check();
  });
  stream.once('close', () => {
    shell.closed = true;
    for (const check of [...waiters]) check();
  });
  if (justification !== undefined) {
    await shell.until(() => shell.output.includes('Justification for'), 'the justification question');
    stream.write(`${justification}\r`);
  }
  await shell.until(() => PROMPT_AT_END.test(shell.output), 'the first prompt');
  return shell;
}

/**
 * A prompt (`$ ` or `# `) as the last thing shown, terminal control sequences after it
 * allowed: changeguard's line editor moves the cursor after drawing it, bash may mark it.
 */
export const PROMPT_AT_END = /[$#] (?:\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07)*$/;
