/**
 * The whole product (`src/main.ts`) in its own process, as it runs in production, for the
 * load test: the load generators must not share its event loop or its memory figures.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ProductProcess {
  readonly pid: number;
  /** Resident memory of the product process, bytes (from /proc). */
  rss(): number;
  /** What it logged (warnings and errors: the load test runs it at LOG_LEVEL=warn). */
  output(): string;
  stop(): Promise<number | null>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function startProductProcess(env: Record<string, string>): Promise<ProductProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    // LOG_LEVEL=info only until started: the start line is how we know it listens.
    env: { ...process.env, MONGODB_URI: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
