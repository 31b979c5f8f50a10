import { performance } from 'node:perf_hooks';
import { connect, PROMPT_AT_END, shellOn, type Shell } from '../lib/sshShell.js';

export interface ProxyTrafficResult {
  readonly sessionsOpened: number;
  readonly setupMs: readonly number[];
  /** Allowed commands: Enter to their output. */
  readonly commandMs: readonly number[];
  /** Blocked commands: Enter to changeguard's refusal. */
  readonly blockMs: readonly number[];
  readonly allowedSent: number;
  readonly blockedSent: number;
  readonly errors: readonly string[];
  /** Pieces of changeguard's device protocol shown in the sessions' terminals (must be 0). */
  readonly protocolLeaks: number;
}

interface Options {
  readonly port: number;
  readonly login: string;
  readonly privateKey: string;
  readonly sessions: number;
  readonly seconds: number;
  /** Called every few seconds while the sessions run (memory sampling). */
  readonly onTick?: () => void;
}

const REFUSAL = 'changeguard:\x1b[0m';

/**
 * `sessions` interactive sessions through the proxy, opened ten at a time, then each types a
 * command about every second (with jitter) until `seconds` have passed: mostly allowed
 * commands whose output proves they ran, every tenth one a blocked `rm -rf`.
 */
export async function runProxyTraffic(options: Options): Promise<ProxyTrafficResult> {
  const errors: string[] = [];
  const setupMs: number[] = [];
  const shells: Shell[] = [];
  for (let i = 0; i < options.sessions; i += 10) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(10, options.sessions - i) }, async () => {
        const started = performance.now();
        const shell = await shellOn(() => connect({ host: '127.0.0.1', port: options.port, username: options.login, privateKey: options.privateKey }), 'load test');
        setupMs.push(performance.now() - started);
        return shell;
      }),
    );
    for (const result of batch) {
      if (result.status === 'fulfilled') shells.push(result.value);
      else errors.push(`session set-up: ${(result.reason as Error).message}`);
    }
  }

  const commandMs: number[] = [];
  const blockMs: number[] = [];
  let allowedSent = 0;
  let blockedSent = 0;
  const deadline = performance.now() + options.seconds * 1000;
  const ticker = setInterval(() => options.onTick?.(), 2000);
  try {
    await Promise.all(
      shells.map(async (shell, index) => {
        await sleep((index * 37) % 1000);
        for (let k = 1; performance.now() < deadline; k++) {
          const blocked = k % 10 === 3;
          const id = `${index}-${k}`;
          const before = shell.output.length;
          const sent = performance.now();
          try {
            if (blocked) {
              blockedSent++;
              shell.stream.write(`rm -rf /tmp/cg-load-${id}\r`);
              await shell.until(() => shell.output.indexOf(REFUSAL, before) >= 0, `the refusal of command ${id}`);
              blockMs.push(performance.now() - sent);
            } else {
              allowedSent++;
              // The output (42) differs from the echo of what was typed, so it proves the shell ran it.
              shell.stream.write(`echo L$((6*7))-${id}\r`);
              await shell.until(() => shell.output.indexOf(`L42-${id}`, before) >= 0, `the output of command ${id}`);
              commandMs.push(performance.now() - sent);
              await shell.until(() => PROMPT_AT_END.test(shell.output.slice(-200)), `the prompt after command ${id}`);
            }
          } catch (error) {
            errors.push(`session ${index}, command ${id}: ${(error as Error).message}`);
            if (shell.closed) return;
          }
          // Output is only needed up to the last prompt: keep the memory of 200 sessions flat.
          if (shell.output.length > 64_000) shell.output = shell.output.slice(-4_000);
          await sleep(600 + ((index * 131 + k * 71) % 800));
        }
      }),
    );
  } finally {
    clearInterval(ticker);
    for (const shell of shells) shell.close();
  }
  const protocolLeaks = shells.reduce((sum, shell) => sum + shell.leaks.count, 0);
  return { sessionsOpened: shells.length, setupMs, commandMs, blockMs, allowedSent, blockedSent, errors, protocolLeaks };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
