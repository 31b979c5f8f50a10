import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import ssh2, { type Connection, type Server } from 'ssh2';
import type { Logger } from '../logger.js';
import type { Notifier } from '../services/notifications/notifier.js';
import type { StoreOutageHandling } from '../services/sessions/judgeSessionLine.js';
import { SessionAlerts } from '../services/sessions/sessionAlerts.js';
import { recoverAbandonedSessions, reviewLiveSessions } from '../services/sessions/superviseSessions.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { RecordingStore } from '../store/recordingStore.js';
import { DEFAULT_EXECUTOR_TIMINGS, type ExecutorTimings } from './shellRelay.js';
import type { ActiveSession, ProxyContext } from './proxyContext.js';
import { ProxyConnection } from './proxyConnection.js';

export interface SshProxyOptions {
  readonly deps: ServiceDeps;
  readonly notifier: Notifier;
  readonly recordings: RecordingStore;
  readonly logger: Logger;
  /** The proxy's private host key (OpenSSH format). */
  readonly hostKey: Buffer;
  readonly port: number;
  readonly bind: string;
  /** Names this process as sessions' owner; defaults to `<hostname>:<port>`, stable across restarts. */
  readonly instanceId?: string | undefined;
  /** Among proxy workers sharing the port (PROXY_WORKERS): this one's index, added to the owner name. */
  readonly worker?: number | undefined;
  readonly storeOutage?: StoreOutageHandling | undefined;
  /** How often live sessions are checked against the store (revoke, Terminate, lock, window end). */
  readonly watchIntervalMs?: number | undefined;
  readonly executorTimings?: ExecutorTimings | undefined;
  readonly upstreamReadyTimeoutMs?: number | undefined;
}

const DEFAULT_WATCH_INTERVAL_MS = 1000;

/**
 * The SSH proxy: users connect with their registered key and a login name that selects the
 * change and server; every session is authorised, relayed, judged line by line and
 * recorded. A watcher re-checks live sessions every second against the store, so a revoke,
 * a Terminate button, a lock or the window's end cuts them from any process.
 */
export class SshProxy {
  private readonly server: Server;
  private readonly context: ProxyContext;
  private watchTimer: NodeJS.Timeout | undefined;
  private reviewing: Promise<void> | undefined;
  private reviewAgain = false;
  private unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly options: SshProxyOptions,
    readonly port: number,
    server: Server,
    context: ProxyContext,
    private readonly connections: Set<Connection>,
  ) {
    this.server = server;
    this.context = context;
  }

  static async start(options: SshProxyOptions): Promise<SshProxy> {
    const sessions = new Map<string, ActiveSession>();
    const alerts = new SessionAlerts(options.notifier, (error, notification) =>
      options.logger.error({ err: error, notification: notification.type }, 'notification failed'),
    );
    // The context's owner is only known once the port is bound (port 0 in tests).
    const partial: { -readonly [K in keyof ProxyContext]: ProxyContext[K] } = {
      deps: options.deps,
      alerts,
      recordings: options.recordings,
      logger: options.logger,
      owner: options.instanceId ?? '',
      settings: {
        storeOutage: options.storeOutage ?? 'block',
        executor: options.executorTimings ?? DEFAULT_EXECUTOR_TIMINGS,
        upstreamReadyTimeoutMs: options.upstreamReadyTimeoutMs ?? 15_000,
      },
      sessions,
      unsettledEnds: new Map(),
    };
    const connections = new Set<Connection>();
    const server = new ssh2.Server({ hostKeys: [options.hostKey], ident: 'changeguard' }, (client, info) => {
      connections.add(client);
      // Keystrokes are tiny packets: Nagle's algorithm would hold each one back.
      (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
      client.once('close', () => connections.delete(client));
      new ProxyConnection(partial, client, info);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.bind, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    server.on('error', (error: Error) => options.logger.error({ err: error }, 'proxy listener error'));
    const port = (server.address() as AddressInfo).port;
    // Workers sharing a port each own their sessions: a starting worker must not take over
    // (mark abandoned) the live sessions of another.
    partial.owner = options.instanceId ?? `${hostname()}:${port}${options.worker === undefined ? '' : `#${options.worker}`}`;
    const proxy = new SshProxy(options, port, server, partial, connections);
    await proxy.recover();
    proxy.watch(options.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS);
    options.logger.info({ port, owner: partial.owner }, 'ssh proxy listening');
    return proxy;
  }

  /** Sessions relayed by this process right now, by id. */
  get liveSessionIds(): string[] {
    return [...this.context.sessions.keys()];
  }

  /** Checks live sessions now (also runs on its own every watch interval). */
  review(): Promise<void> {
    if (this.reviewing) {
      this.reviewAgain = true;
      return this.reviewing;
    }
    this.reviewing = (async () => {
      do {
        this.reviewAgain = false;
        await this.settleEnds();
        const active = [...this.context.sessions.values()];
        try {
          const cuts = await reviewLiveSessions(this.options.deps, this.context.owner, active.map((a) => a.live));
          for (const cut of cuts) void this.context.sessions.get(cut.sessionId)?.cut(cut.reason);
        } catch (error) {
          this.options.logger.error({ err: error }, 'reviewing live sessions failed');
        }
      } while (this.reviewAgain);
    })().finally(() => {
      this.reviewing = undefined;
    });
    return this.reviewing;
  }

  async stop(): Promise<void> {
    clearInterval(this.watchTimer);
    this.unsubscribe?.();
    // ssh2's close waits for every connection to end: stop listening first, then end them.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Each cut records the session's end: wait for them before the store closes.
    await Promise.allSettled([...this.context.sessions.values()].map((session) => session.cut('changeguard is shutting down')));
    await this.reviewing;
    for (const connection of this.connections) connection.end();
    await closed;
    await this.settleEnds();
    for (const id of this.context.unsettledEnds.keys()) {
      this.options.logger.error({ session: id }, 'the end of a session could not be recorded (store unreachable): the next start marks it ended_abnormally');
    }
  }

  /** Session ends that could not be recorded while the store was unreachable, oldest first. */
  private async settleEnds(): Promise<void> {
    for (const [id, attempt] of this.context.unsettledEnds) {
      try {
        await attempt();
      } catch {
        return;
      }
      this.context.unsettledEnds.delete(id);
      this.options.logger.info({ session: id }, 'the end of a session is recorded now that the store answers');
    }
  }

  private async recover(): Promise<void> {
    const recovered = await recoverAbandonedSessions(this.options.deps, this.context.owner, this.context.alerts);
    if (recovered.length > 0) {
      this.options.logger.warn({ sessions: recovered.map((s) => s.id) }, 'sessions left open by an earlier run marked ended_abnormally');
    }
  }

  private watch(intervalMs: number): void {
    this.watchTimer = setInterval(() => void this.review(), intervalMs);
    this.watchTimer.unref();
    this.unsubscribe = this.options.deps.events.subscribe((event) => {
      if (event.type === 'change.revoked' || event.type === 'change.cancelled') void this.review();
    });
  }
}
