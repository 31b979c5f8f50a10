import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logger.js';
import type { PrimaryToWorker, ProxyWorkerSettings, WorkerToPrimary } from './proxyWorkerMessages.js';

/** How long a worker may take to cut and record its sessions when stopping, before it is killed. */
const STOP_TIMEOUT_MS = 30_000;
/** A worker that dies is restarted under the same index (it then recovers the sessions it left). */
const RESTART_DELAY_MS = 1000;

/**
 * PROXY_WORKERS > 1: that many proxy worker processes (node:cluster) share the proxy's
 * listening port; the primary accepts connections and hands them out in turn, so sessions
 * spread over the cores. Each worker runs src/proxyWorker.ts; it owns its sessions under
 * `<host>:<port>#<index>`, stable across its restarts.
 */
export class ProxyWorkerPool {
  private readonly workers = new Map<number, Worker>();
  private stopping = false;

  private constructor(
    private readonly settings: Omit<ProxyWorkerSettings, 'index'>,
    private readonly logger: Logger,
    readonly port: number,
  ) {}

  /** `entry`: the worker's module (src/proxyWorker.ts, a composition root like main.ts), as a URL. */
  static async start(count: number, entryUrl: URL, settings: Omit<ProxyWorkerSettings, 'index'>, logger: Logger): Promise<ProxyWorkerPool> {
    const entry = fileURLToPath(entryUrl);
    // Running from the TypeScript sources (tests, the bench): the worker needs the same loader.
    cluster.setupPrimary({ exec: entry, execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : process.execArgv });
    // The primary binds the port once and shares it with every worker asking for the same
    // address and port (with PROXY_PORT=0, the same random port): all get the same settings.
    const first = await ProxyWorkerPool.fork(0, settings);
    const pool = new ProxyWorkerPool(settings, logger, first.port);
    pool.adopt(0, first.worker);
    const others = await Promise.allSettled(Array.from({ length: count - 1 }, (_, i) => ProxyWorkerPool.fork(i + 1, settings)));
    others.forEach((result, i) => result.status === 'fulfilled' && pool.adopt(i + 1, result.value.worker));
    const failed = others.find((result) => result.status === 'rejected');
    if (failed) {
      await pool.stop();
      throw failed.reason;
    }
    logger.info({ port: pool.port, workers: count }, 'ssh proxy workers listening');
    return pool;
  }

  private static fork(index: number, settings: Omit<ProxyWorkerSettings, 'index'>): Promise<{ worker: Worker; port: number }> {
    const worker = cluster.fork();
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`proxy worker ${index} exited (${code}) before it listened`));
      worker.once('exit', onExit);
      worker.on('message', (message: WorkerToPrimary) => {
        // Asked for once the worker's code listens (a message sent on 'online' could come too early).
        if (message.type === 'proxy-hello') worker.send({ type: 'proxy-settings', settings: { ...settings, index } } satisfies PrimaryToWorker);
        else if (message.type === 'proxy-ready') {
          worker.removeListener('exit', onExit);
          resolve({ worker, port: message.port });
        } else if (message.type === 'proxy-failed') {
          worker.removeListener('exit', onExit);
          reject(new Error(`proxy worker ${index} could not start: ${message.message}`));
        }
      });
    });
  }

  private adopt(index: number, worker: Worker): void {
    this.workers.set(index, worker);
    worker.once('exit', (code, signal) => {
      if (this.workers.get(index) !== worker) return;
      this.workers.delete(index);
      if (this.stopping) return;
      this.logger.error({ worker: index, code, signal }, 'proxy worker died: its sessions are cut; restarting it');
      setTimeout(() => void this.restart(index), RESTART_DELAY_MS).unref();
    });
  }

  private async restart(index: number): Promise<void> {
    if (this.stopping) return;
    try {
      const { worker } = await ProxyWorkerPool.fork(index, this.settings);
      if (this.stopping) worker.kill('SIGTERM');
      else this.adopt(index, worker);
    } catch (error) {
      this.logger.error({ err: error, worker: index }, 'proxy worker restart failed; trying again');
      setTimeout(() => void this.restart(index), RESTART_DELAY_MS * 5).unref();
    }
  }

  /** Process ids of the running workers (the bench adds up their CPU time). */
  get pids(): number[] {
    return [...this.workers.values()].flatMap((worker) => (worker.process.pid === undefined ? [] : [worker.process.pid]));
  }

  /** Each worker cuts its live sessions and records their ends, then exits. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers.values()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const timer = setTimeout(() => worker.kill('SIGKILL'), STOP_TIMEOUT_MS);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (worker.isConnected()) worker.send({ type: 'proxy-stop' } satisfies PrimaryToWorker);
            else worker.kill('SIGTERM');
          }),
      ),
    );
    this.workers.clear();
  }
}
