/**
 * The SSH proxy against the alternatives, in one run on this machine: straight to sshd,
 * `ssh -J` through an OpenSSH jump host, and through changeguard (in its own process).
 * Connection set-up (ssh2 client, to the first prompt), bulk output through an interactive
 * PTY (OpenSSH client, timed on the target), and keystroke echo latency (ssh2 clients), with
 * one session and with many concurrent ones.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ClientChannel } from 'ssh2';
import { generateEd25519KeyPair } from '../src/proxy/hostKey.js';
import { startSshTarget, type SshTarget } from '../test/support/sshTarget.js';
import type { BenchRow } from './lib/benchRow.js';
import { percentiles } from './lib/percentiles.js';
import { connect, shellOn, type Shell } from './lib/sshShell.js';

export interface SshProxyBenchOptions {
  readonly bulkBytes?: number;
  readonly setupRuns?: number;
  readonly keystrokes?: number;
  readonly concurrentSessions?: number;
  readonly keystrokesPerConcurrentSession?: number;
  /** Bulk transfers per variant, interleaved; the median counts (this machine is shared and noisy). */
  readonly bulkRounds?: number;
}

type VariantName = 'direct sshd' | 'ssh -J (OpenSSH)' | 'changeguard';

interface Variant {
  readonly name: VariantName;
  /** An ssh2 client session with a PTY, at the shell's first prompt. */
  openShell(): Promise<Shell>;
  /** OpenSSH client arguments (after -F config) for an interactive session. */
  readonly sshArgs: readonly string[];
  /** Typed before the commands (changeguard asks for a justification). */
  readonly preamble: string;
}


const CHANGE = 'CHG-BENCH';
const root = fileURLToPath(new URL('..', import.meta.url));

export async function benchSshProxy(options: SshProxyBenchOptions = {}): Promise<BenchRow[]> {
  const bulkBytes = options.bulkBytes ?? 200 * 1024 * 1024;
  const setupRuns = options.setupRuns ?? 10;
  const keystrokes = options.keystrokes ?? 200;
  const concurrent = options.concurrentSessions ?? 100;
  const perSession = options.keystrokesPerConcurrentSession ?? 30;
  const bulkRounds = options.bulkRounds ?? 3;

  const dir = mkdtempSync(join(tmpdir(), 'changeguard-bench-ssh-'));
  const target = await startSshTarget();
  const jump = await startSshTarget();
  const alice = generateEd25519KeyPair('alice');
  const aliceKeyFile = join(dir, 'alice');
  writeFileSync(aliceKeyFile, alice.private, { mode: 0o600 });
  const config = join(dir, 'ssh_config');
  writeFileSync(
    config,
    [
      'Host *',
      `  IdentityFile ${target.deviceKeyFile}`,
      `  IdentityFile ${jump.deviceKeyFile}`,
      `  IdentityFile ${aliceKeyFile}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
      '  UserKnownHostsFile /dev/null',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const proxy = await startProxyProcess(dir, target, alice.public);
  try {
    const variants = buildVariants(target, jump, proxy.port, alice.private);
    const rows: BenchRow[] = [];

    const setup = new Map<VariantName, number>();
    for (const variant of variants) setup.set(variant.name, await measureSetup(variant, setupRuns));
    rows.push(...compareRows('ssh set-up (connect to first prompt, median)', 'ms', setup, (proxyValue, direct) => ({
      target: `< direct + 300 (${Math.round(direct + 300)})`,
      met: proxyValue < direct + 300,
    })));

    const transfers = new Map<VariantName, number[]>(variants.map((v) => [v.name, []]));
    let proxyCpuMicros = 0;
    for (let round = 0; round < bulkRounds; round++) {
      for (const variant of variants) {
        const cpuBefore = variant.name === 'changeguard' ? await proxy.cpu() : 0;
        transfers.get(variant.name)!.push(await measureThroughput(variant, config, bulkBytes));
        if (variant.name === 'changeguard') proxyCpuMicros += (await proxy.cpu()) - cpuBefore;
      }
    }
    const throughput = new Map([...transfers].map(([name, samples]) => [name, percentiles(samples, [0.5])[0]!]));
    rows.push(
      ...compareRows(`bulk output ${Math.round(bulkBytes / 2 ** 20)} MiB through a PTY (median of ${bulkRounds})`, 'MB/s', throughput, (proxyValue, direct) => ({
        target: '>= 90% of direct',
        met: proxyValue >= 0.9 * direct,
      })),
    );
    rows.push({ area: 'ssh proxy', metric: 'changeguard CPU time per MB relayed (and recorded)', value: proxyCpuMicros / 1000 / ((bulkRounds * bulkBytes) / 1e6), unit: 'ms/MB' });

    for (const sessions of [1, concurrent]) {
      const p50 = new Map<VariantName, number>();
      const p99 = new Map<VariantName, number>();
      let proxyCpuPerKey = 0;
      let proxyTypingCpuPerKey = 0;
      for (const variant of variants) {
        const cpuBefore = variant.name === 'changeguard' ? await proxy.cpu() : 0;
        let typingCpu = 0;
        const typing = variant.name === 'changeguard' ? { started: async () => void (typingCpu = -(await proxy.cpu())), ended: async () => void (typingCpu += await proxy.cpu()) } : undefined;
        const samples = await measureEcho(variant, sessions, sessions === 1 ? keystrokes : perSession, typing);
        if (variant.name === 'changeguard') {
          proxyCpuPerKey = ((await proxy.cpu()) - cpuBefore) / 1000 / samples.length;
          proxyTypingCpuPerKey = typingCpu / 1000 / samples.length;
        }
        const [median, tail] = percentiles(samples, [0.5, 0.99]);
        p50.set(variant.name, median!);
        p99.set(variant.name, tail!);
      }
      const label = sessions === 1 ? '1 session' : `${sessions} concurrent sessions`;
      const jumpP50 = p50.get('ssh -J (OpenSSH)')!;
      rows.push(...compareRows(`keystroke echo p50, ${label}`, 'ms', p50, (proxyValue) => ({ target: `<= ssh -J (${jumpP50.toFixed(2)})`, met: proxyValue <= jumpP50 })));
      rows.push(
        ...compareRows(`keystroke echo p99, ${label}`, 'ms', p99, (proxyValue, direct) =>
          sessions === 1 ? undefined : { target: `< direct + 5 (${(direct + 5).toFixed(2)})`, met: proxyValue < direct + 5 },
        ),
      );
      rows.push({ area: 'ssh proxy', metric: `changeguard CPU time per keystroke (${label}, set-up included)`, value: proxyCpuPerKey, unit: 'ms' });
      rows.push({ area: 'ssh proxy', metric: `changeguard CPU time per keystroke (${label}, typing only)`, value: proxyTypingCpuPerKey, unit: 'ms' });
      if (sessions > 1) {
        rows.push({ area: 'ssh proxy', metric: `changeguard resident memory after ${sessions} sessions`, value: (await proxy.rss()) / 2 ** 20, unit: 'MiB' });
      }
    }
    return rows;
  } finally {
    await proxy.stop();
    await target.stop();
    await jump.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function compareRows(
  metric: string,
  unit: string,
  values: ReadonlyMap<VariantName, number>,
  judge: (proxyValue: number, direct: number) => { target: string; met: boolean } | undefined,
): BenchRow[] {
  const direct = values.get('direct sshd')!;
  return [...values].map(([name, value]) => {
    const verdict = name === 'changeguard' ? judge(value, direct) : undefined;
    return {
      area: `ssh: ${name}`,
      metric,
      value,
      unit,
      ...(name !== 'direct sshd' ? { baseline: { name: 'direct', value: direct } } : {}),
      ...(verdict ?? {}),
    };
  });
}

function buildVariants(target: SshTarget, jump: SshTarget, proxyPort: number, alicePrivateKey: string): Variant[] {
  const targetKey = readFileSync(target.deviceKeyFile);
  const jumpKey = readFileSync(jump.deviceKeyFile);
  return [
    {
      name: 'direct sshd',
      openShell: () => shellOn(() => connect({ host: '127.0.0.1', port: target.port, username: target.user, privateKey: targetKey })),
      sshArgs: ['-p', String(target.port), `${target.user}@127.0.0.1`],
      preamble: '',
    },
    {
      name: 'ssh -J (OpenSSH)',
      openShell: () =>
        shellOn(async () => {
          const hop = await connect({ host: '127.0.0.1', port: jump.port, username: jump.user, privateKey: jumpKey });
          const tunnel = await new Promise<ClientChannel>((resolve, reject) =>
            hop.forwardOut('127.0.0.1', 0, '127.0.0.1', target.port, (error, stream) => (error ? reject(error) : resolve(stream))),
          );
          const inner = await connect({ sock: tunnel, username: target.user, privateKey: targetKey });
          inner.once('close', () => hop.end());
          return inner;
        }),
      sshArgs: ['-J', `${jump.user}@127.0.0.1:${jump.port}`, '-p', String(target.port), `${target.user}@127.0.0.1`],
      preamble: '',
    },
    {
      name: 'changeguard',
      openShell: () =>
        shellOn(() => connect({ host: '127.0.0.1', port: proxyPort, username: `alice+${CHANGE}+web01`, privateKey: alicePrivateKey }), 'benchmark run'),
      sshArgs: ['-p', String(proxyPort), `alice+${CHANGE}+web01@127.0.0.1`],
      preamble: 'benchmark run\n',
    },
  ];
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`benchmark: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function measureSetup(variant: Variant, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const shell = await variant.openShell();
    samples.push(performance.now() - started);
    shell.close();
  }
  return percentiles(samples, [0.5])[0]!;
}

/** Timed on the target: the pipeline cannot finish before the output has drained through the chain. */
async function measureThroughput(variant: Variant, config: string, bytes: number): Promise<number> {
  const command = `s=$(date +%s%N); head -c ${bytes} /dev/zero | tr '\\0' x; e=$(date +%s%N); echo; echo "BENCH-NS $((e-s))"; exit`;
  const child = spawn('sh', ['-c', `ssh -F ${config} -tt ${variant.sshArgs.join(' ')} | tail -c 400`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  child.stdin.write(`${variant.preamble}${command}\n`);
  await new Promise((resolve) => child.once('exit', resolve));
  const ns = /BENCH-NS (\d+)/.exec(output)?.[1];
  if (!ns) throw new Error(`benchmark: no timing from ${variant.name}: ${output.slice(-300)}`);
  return bytes / 1e6 / (Number(ns) / 1e9);
}

/**
 * Sessions type a key every 20-40 ms, each waiting for its echo; the time to the echo is the
 * sample. `typing` is told when all sessions are open and when the last echo came, so a CPU
 * reading can leave set-up and teardown out.
 */
async function measureEcho(
  variant: Variant,
  sessions: number,
  keysPerSession: number,
  typing?: { started(): Promise<void>; ended(): Promise<void> },
): Promise<number[]> {
  const shells: Shell[] = [];
  try {
    for (let i = 0; i < sessions; i += 10) {
      shells.push(...(await Promise.all(Array.from({ length: Math.min(10, sessions - i) }, () => variant.openShell()))));
    }
    await typing?.started();
    const samples: number[] = [];
    await Promise.all(
      shells.map(async (shell, index) => {
        await new Promise((resolve) => setTimeout(resolve, (index * 7) % 40));
        for (let k = 0; k < keysPerSession; k++) {
          const key = String.fromCharCode(97 + (k % 26));
          const before = shell.output.length;
          const sent = performance.now();
          shell.stream.write(key);
          await shell.until(() => shell.output.indexOf(key, before) >= 0, 'an echo');
          samples.push(performance.now() - sent);
          if (k % 20 === 19) {
            shell.stream.write('\x15');
            const cleared = shell.output.length;
            await shell.until(() => shell.output.length > cleared, 'the line to clear');
          }
          await new Promise((resolve) => setTimeout(resolve, 20 + ((k * 13 + index) % 20)));
        }
      }),
    );
    await typing?.ended();
    return samples;
  } finally {
    for (const shell of shells) shell.close();
  }
}

async function startProxyProcess(dir: string, target: SshTarget, userPublicKey: string) {
  // BENCH_PROXY_NODE_ARGS: extra node flags for the proxy process, e.g. `--cpu-prof` to profile it.
  const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'bench/lib/proxyProcess.ts'], {
    cwd: root,
    env: {
      ...process.env,
      BENCH_PROXY: JSON.stringify({
        dir,
        target: { host: target.host, port: target.port, user: target.user, hostKey: target.hostKey, deviceKeyFile: target.deviceKeyFile },
        userPublicKey,
        changeCode: CHANGE,
      }),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => /READY \d+/.test(output) || child.exitCode !== null, 'the proxy process');
  const port = Number(/READY (\d+)/.exec(output)?.[1]);
  if (!port) throw new Error(`benchmark: the proxy process did not start: ${output}`);
  const ask = async (question: 'RSS' | 'CPU'): Promise<number> => {
    const before = output.length;
    child.stdin.write(`${question}\n`);
    const pattern = new RegExp(`${question} (\\d+)`);
    await waitFor(() => pattern.test(output.slice(before)), `the proxy's ${question} figure`);
    return Number(pattern.exec(output.slice(before))?.[1]);
  };
  return {
    port,
    rss: () => ask('RSS'),
    cpu: () => ask('CPU'),
    async stop(): Promise<void> {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
