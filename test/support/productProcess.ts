/**
 * The whole product (`src/main.ts`) in its own process, as it runs in production: for the
 * load test (the load generators must not share its event loop or its memory figures) and
 * for the tests that run several processes on one database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ProductProcess {
  readonly pid: number;
  /** Resident memory of the product process, bytes (from /proc). */
  rss(): number;
  /** What it logged so far (stdout and stderr). */
  output(): string;
  /** Its JSON log lines so far, parsed (other lines skipped). */
  logLines(): Record<string, unknown>[];
  /** SIGTERM, and its exit code once it stopped. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process dies at once, as on a power cut or an OOM kill. */
  kill(): Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `env` over this process's environment, with MONGODB_URI unset unless `env` sets it. */
export async function startProductProcess(env: Record<string, string>): Promise<ProductProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, MONGODB_URI: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The start line (at LOG_LEVEL info or lower) is how we know it listens.
  const deadline = Date.now() + 60_000;
  while (!output.includes('changeguard started')) {
    if (child.exitCode !== null) throw new Error(`the product exited on start:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the product did not start within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pid = child.pid!;
  return {
    pid,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    output: () => output,
    logLines: () =>
      output.split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
