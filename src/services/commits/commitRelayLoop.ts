import type { Store } from '../../store/store.js';

export interface RelayLog {
  warn(object: object, message: string): void;
  info(object: object, message: string): void;
}

/**
 * Moves commits a store holds with their state but has not yet put in the audit chain and the
 * outbox (MongoDB, after a crash between a write and its relay, in this process or another)
 * where they belong: once at start, before anything else runs, then every `everyMs`. On
 * SQLite commits are written in place and there is never anything to move.
 */
export class CommitRelayLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<Store, 'relayPendingCommits'>,
    private readonly log: RelayLog,
    private readonly everyMs = 2000,
  ) {}

  async start(): Promise<void> {
    await this.relay();
    this.timer = setInterval(() => void this.relay(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass (never two at once); failures are logged and retried at the next. */
  relay(): Promise<void> {
    this.running ??= (async () => {
      try {
        const moved = await this.store.relayPendingCommits();
        if (moved > 0) this.log.info({ commits: moved }, 'relayed commits left by an interrupted write');
      } catch (error) {
        this.log.warn({ err: error }, 'relaying pending commits failed; retrying');
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
