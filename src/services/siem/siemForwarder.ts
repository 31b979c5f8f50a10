import { randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import { siemEventOf } from '../../domain/siem/siemEvent.js';
import { siemRetryDelayMs } from '../../domain/siem/siemRetry.js';
import type { SiemFeedRepository } from '../../store/siemFeedRepository.js';
import type { SiemSink } from './siemSink.js';

export interface SiemForwarderLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface SiemForwarderOptions {
  /** How often each sink looks for new events (and retries once its wait is over). */
  readonly pollMs?: number | undefined;
  /** Events per attempt. */
  readonly batchSize?: number | undefined;
  /** How long a claim on a sink lasts: a process that dies mid-send frees it after this. */
  readonly claimMs?: number | undefined;
}

const DEFAULT_POLL_MS = 1000;
const DEFAULT_BATCH = 200;
const DEFAULT_CLAIM_MS = 60_000;

/**
 * Sends the SIEM feed to each sink in feed order: claim the sink, read the events after its
 * cursor, send them as one batch, move the cursor on success; on failure keep the cursor and
 * wait (1 s, 2 s, ... up to a minute) before sending the same batch again. The cursor lives in
 * the store, so a restart resumes where the last delivery ended: an event is never skipped,
 * and one in a batch cut off by a crash is sent again with its idempotency id.
 */
export class SiemForwarder {
  private readonly owner = `siem-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly failing = new Set<string>();

  constructor(
    private readonly deps: { readonly feed: SiemFeedRepository; readonly clock: Clock },
    private readonly sinks: readonly SiemSink[],
    private readonly log: SiemForwarderLog,
    private readonly options: SiemForwarderOptions = {},
  ) {}

  async start(): Promise<void> {
    await this.deps.feed.register(
      this.sinks.map((sink) => sink.name),
      this.deps.clock(),
    );
    this.timer = setInterval(() => void this.forwardAll(), this.options.pollMs ?? DEFAULT_POLL_MS);
    this.timer.unref();
    void this.forwardAll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await Promise.all(this.sinks.map((sink) => sink.close().catch(() => undefined)));
  }

  /** One pass over every sink (never two at once); each sink sends until it is caught up or fails. */
  forwardAll(): Promise<void> {
    this.running ??= (async () => {
      await Promise.all(this.sinks.map((sink) => this.drain(sink)));
      await this.deps.feed.prune().catch((error: unknown) => this.log.warn({ err: error }, 'pruning the SIEM feed failed'));
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(sink: SiemSink): Promise<void> {
    while (!this.stopped) {
      let sent: boolean;
      try {
        sent = await this.forwardBatch(sink);
      } catch (error) {
        this.log.warn({ err: error, sink: sink.name }, 'the SIEM feed could not be read; retrying');
        return;
      }
      if (!sent) return;
    }
  }

  /** One attempt: true when a batch was delivered (there may be more). */
  private async forwardBatch(sink: SiemSink): Promise<boolean> {
    const claimMs = this.options.claimMs ?? DEFAULT_CLAIM_MS;
    const items = await this.deps.feed.claim({ sink: sink.name, owner: this.owner, now: this.deps.clock(), claimMs, limit: this.options.batchSize ?? DEFAULT_BATCH });
    if (!items || items.length === 0) return false;
    const events = items.map(siemEventOf);
    const last = events[events.length - 1]!.pos;
    try {
      await sink.send(events);
    } catch (error) {
      const failures = ((await this.deps.feed.status()).find((s) => s.sink === sink.name)?.failures ?? 0) + 1;
      const now = this.deps.clock();
      const message = error instanceof Error ? error.message : String(error);
      await this.deps.feed.markFailed(sink.name, this.owner, { at: now, error: message, retryAt: new Date(now.getTime() + siemRetryDelayMs(failures, Math.random())) });
      if (!this.failing.has(sink.name)) this.log.warn({ sink: sink.name, error: message, pending: events.length }, 'SIEM sink unreachable; events are kept and retried');
      this.failing.add(sink.name);
      return false;
    }
    await this.deps.feed.markDelivered(sink.name, this.owner, last, this.deps.clock());
    if (this.failing.delete(sink.name)) this.log.info({ sink: sink.name }, 'SIEM sink reachable again');
    return true;
  }
}
