/**
 * The SSH proxy against the alternatives, in one run on this machine: straight to sshd,
 * `ssh -J` through an OpenSSH jump host, and through changeguard (in its own process).
 * Connection set-up (ssh2 client, to the first prompt), bulk output through an interactive
 * PTY (OpenSSH client, timed on the target), and keystroke echo latency (ssh2 clients), with
 * one session and with many concurrent ones.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
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
  /**
   * Every SSH figure is measured this many times, each run measuring its baselines beside it;
   * the table shows the median of the per-run ratios (this machine is shared and noisy).
   */
  readonly rounds?: number;
  /** Which figures to take (all by default; `BENCH_SSH_FIGURES=bulk,echo` to iterate on a few). */
  readonly figures?: ReadonlySet<SshFigure>;
}

const SSH_FIGURES = ['setup', 'bulk', 'echo'] as const;
type SshFigure = (typeof SSH_FIGURES)[number];

function figuresFromEnvironment(): ReadonlySet<SshFigure> {
  const listed = (process.env.BENCH_SSH_FIGURES ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = listed.filter((name) => !(SSH_FIGURES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_SSH_FIGURES: unknown figure ${unknown.join(', ')} (known: ${SSH_FIGURES.join(', ')})`);
  return new Set(listed.length > 0 ? (listed as SshFigure[]) : SSH_FIGURES);
}

type VariantName = string;
const DIRECT = 'direct sshd';
const JUMP = 'ssh -J (OpenSSH)';

interface Variant {
  readonly name: VariantName;
  /** An ssh2 client session with a PTY, at the shell's first prompt. */
  openShell(): Promise<Shell>;
  /** OpenSSH client arguments (after -F config) for an interactive session. */
  readonly sshArgs: readonly string[];
  /** Typed before the commands (changeguard asks for a justification). */
  readonly preamble: string;
  /** changeguard variants: the proxy process, for its CPU and memory figures. */
  readonly proxy?: ProxyProcess;
}

/** Per metric, per variant: one figure per run. */
type Runs = Map<string, Map<VariantName, number[]>>;

const CHANGE = 'CHG-BENCH';
const root = fileURLToPath(new URL('..', import.meta.url));

export async function benchSshProxy(options: SshProxyBenchOptions = {}): Promise<BenchRow[]> {
  const bulkBytes = options.bulkBytes ?? 200 * 1024 * 1024;
  const setupRuns = options.setupRuns ?? 10;
  const keystrokes = options.keystrokes ?? 200;
  const concurrent = options.concurrentSessions ?? 100;
  const perSession = options.keystrokesPerConcurrentSession ?? 30;
  const rounds = options.rounds ?? Number(process.env.BENCH_SSH_ROUNDS ?? 3);
  const figures = options.figures ?? figuresFromEnvironment();

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
  const proxies: { name: string; process: ProxyProcess }[] = [];
  try {
    proxies.push({ name: 'changeguard', process: await startProxyProcess(join(dir, 'one'), target, alice.public) });
    // BENCH_PROXY_WORKERS (default: one per core, at least 2): the same proxy as PROXY_WORKERS processes.
    const workers = Number(process.env.BENCH_PROXY_WORKERS ?? Math.max(2, availableParallelism()));
    if (workers > 1) proxies.push({ name: `changeguard, ${workers} workers`, process: await startProxyProcess(join(dir, 'workers'), target, alice.public, workers) });
    const variants = buildVariants(target, jump, proxies, alice.private);
    const runs: Runs = new Map();
    const record = (metric: string, variant: VariantName, value: number) => {
      const byVariant = runs.get(metric) ?? new Map<VariantName, number[]>();
      runs.set(metric, byVariant);
      byVariant.set(variant, [...(byVariant.get(variant) ?? []), value]);
    };
    const bulkMetric = `bulk output ${Math.round(bulkBytes / 2 ** 20)} MiB through a PTY`;
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`  ssh round ${round + 1} of ${rounds}\n`);
      if (figures.has('setup')) for (const variant of variants) record('ssh set-up (connect to first prompt, median)', variant.name, await measureSetup(variant, setupRuns));
      if (figures.has('bulk')) for (const variant of variants) {
        const cpuBefore = (await variant.proxy?.cpu()) ?? 0;
        const machineBefore = machineBusyMs();
        record(bulkMetric, variant.name, await measureThroughput(variant, config, bulkBytes));
        // Every process on the machine (sshd, clients, the producer, the proxy, the kernel): what
        // the whole chain costs per MB, so a ratio can be read against the cores there are.
        record(`bulk output: machine CPU time per MB, all processes, ${variant.name}`, variant.name, (machineBusyMs() - machineBefore) / (bulkBytes / 1e6));
        if (variant.proxy) record(`${variant.name} CPU time per MB relayed (and recorded)`, variant.name, ((await variant.proxy.cpu()) - cpuBefore) / 1000 / (bulkBytes / 1e6));
      }
      for (const sessions of figures.has('echo') ? [1, concurrent] : []) {
        const label = sessions === 1 ? '1 session' : `${sessions} concurrent sessions`;
        for (const variant of variants) {
          const proxy = variant.proxy;
          const cpuBefore = (await proxy?.cpu()) ?? 0;
          let typingCpu = 0;
          const typing = proxy ? { started: async () => void (typingCpu = -(await proxy.cpu())), ended: async () => void (typingCpu += await proxy.cpu()) } : undefined;
          const samples = await measureEcho(variant, sessions, sessions === 1 ? keystrokes : perSession, typing);
          const [median, tail] = percentiles(samples, [0.5, 0.99]);
          record(`keystroke echo p50, ${label}`, variant.name, median!);
          record(`keystroke echo p99, ${label}`, variant.name, tail!);
          if (proxy) {
            record(`${variant.name} CPU time per keystroke (${label}, set-up included)`, variant.name, ((await proxy.cpu()) - cpuBefore) / 1000 / samples.length);
            record(`${variant.name} CPU time per keystroke (${label}, typing only)`, variant.name, typingCpu / 1000 / samples.length);
            if (sessions > 1) record(`${variant.name} resident memory after ${sessions} sessions`, variant.name, (await proxy.rss()) / 2 ** 20);
          }
        }
      }
    }

    const rows: BenchRow[] = [];
    const metricRuns = (metric: string) => runs.get(metric) ?? new Map<VariantName, number[]>();
    rows.push(
      ...compareRows('ssh set-up (connect to first prompt, median)', 'ms', metricRuns('ssh set-up (connect to first prompt, median)'), (proxyRuns, baselines) => {
        const over = median(proxyRuns.map((value, run) => value - baselines.get(DIRECT)![run]!));
        return { target: `< direct + 300 (median ${signed(over, 0)})`, met: over < 300 };
      }),
    );
    rows.push(
      ...compareRows(`${bulkMetric} (median of ${rounds})`, 'MB/s', metricRuns(bulkMetric), (proxyRuns, baselines) => {
        const ratio = medianRatio(proxyRuns, baselines.get(DIRECT)!);
        return { target: `>= 0.95x direct`, met: ratio >= 0.95 };
      }),
    );
    for (const label of ['1 session', `${concurrent} concurrent sessions`]) {
      rows.push(
        ...compareRows(`keystroke echo p50, ${label}`, 'ms', metricRuns(`keystroke echo p50, ${label}`), (proxyRuns, baselines) => {
          const ratio = medianRatio(proxyRuns, baselines.get(JUMP)!);
          return { target: `<= ssh -J (median ${ratio.toFixed(2)}x ssh -J)`, met: ratio <= 1 };
        }),
      );
      rows.push(
        ...compareRows(`keystroke echo p99, ${label}`, 'ms', metricRuns(`keystroke echo p99, ${label}`), (proxyRuns, baselines) => {
          if (label === '1 session') return undefined;
          const over = median(proxyRuns.map((value, run) => value - baselines.get(DIRECT)![run]!));
          return { target: `<= direct + 3 (median ${signed(over, 2)})`, met: over <= 3 };
        }),
      );
    }
    for (const [metric, byVariant] of runs) {
      if (!metric.startsWith('changeguard') && !metric.startsWith('bulk output: machine')) continue;
      for (const [, values] of byVariant) {
        const unit = metric.includes('memory') ? 'MiB' : metric.includes('per MB') ? 'ms/MB' : 'ms';
        rows.push({ area: 'ssh proxy', metric: `${metric} (median of ${values.length})`, value: median(values), unit, runs: values });
      }
    }
    return rows;
  } finally {
    for (const proxy of proxies) await proxy.process.stop();
    await target.stop();
    await jump.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU time the machine has spent busy since boot, all cores (/proc/stat: user, nice, system, irq, softirq, steal). */
function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  // Clock ticks of 10 ms (USER_HZ is 100 on Linux).
  return (user + nice + system + irq + softirq + steal) * 10;
}

function signed(value: number, digits: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

function median(values: readonly number[]): number {
  return percentiles(values, [0.5])[0]!;
}

/** The median over runs of value / baseline, each pair measured in the same run. */
function medianRatio(values: readonly number[], baselines: readonly number[]): number {
  return median(values.map((value, run) => value / baselines[run]!));
}

/**
 * One row per variant: the median of its runs, and (beside direct sshd) the median of its
 * per-run ratios to direct. `judge` sees a changeguard variant's runs and every variant's.
 */
function compareRows(
  metric: string,
  unit: string,
  values: ReadonlyMap<VariantName, readonly number[]>,
  judge: (proxyRuns: readonly number[], baselines: ReadonlyMap<VariantName, readonly number[]>) => { target: string; met: boolean } | undefined,
): BenchRow[] {
  const direct = values.get(DIRECT);
  if (!direct) return [];
  return [...values].map(([name, runs]) => {
    const verdict = name.startsWith('changeguard') ? judge(runs, values) : undefined;
    return {
      area: `ssh: ${name}`,
      metric,
      value: median(runs),
      unit,
      runs,
      ...(name !== DIRECT ? { baseline: { name: 'direct', value: median(direct) }, ratio: medianRatio(runs, direct) } : {}),
      ...(verdict ?? {}),
    };
  });
}

function buildVariants(target: SshTarget, jump: SshTarget, proxies: readonly { name: string; process: ProxyProcess }[], alicePrivateKey: string): Variant[] {
  const targetKey = readFileSync(target.deviceKeyFile);
  const jumpKey = readFileSync(jump.deviceKeyFile);
  return [
    {
      name: DIRECT,
      openShell: () => shellOn(() => connect({ host: '127.0.0.1', port: target.port, username: target.user, privateKey: targetKey })),
      sshArgs: ['-p', String(target.port), `${target.user}@127.0.0.1`],
      preamble: '',
    },
    {
      name: JUMP,
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
    ...proxies.map(({ name, process: proxy }) => ({
      name,
      openShell: () =>
        shellOn(() => connect({ host: '127.0.0.1', port: proxy.port, username: `alice+${CHANGE}+web01`, privateKey: alicePrivateKey }), 'benchmark run'),
      sshArgs: ['-p', String(proxy.port), `alice+${CHANGE}+web01@127.0.0.1`],
      preamble: 'benchmark run\n',
      proxy,
    })),
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

type ProxyProcess = Awaited<ReturnType<typeof startProxyProcess>>;

async function startProxyProcess(dir: string, target: SshTarget, userPublicKey: string, workers = 0) {
  mkdirSync(dir, { recursive: true });
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
        workers,
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
