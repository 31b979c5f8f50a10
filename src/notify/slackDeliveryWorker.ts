import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Change } from '../domain/change/change.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { OutboxMessage } from '../store/outboxRepository.js';
import type { SlackMessageCopy } from '../store/slackMessageRepository.js';
import { NOTIFICATION_TYPES, type NotificationData, type NotificationType } from '../domain/notifications/catalogue.js';
import type { NotificationRenderer } from './notificationRenderer.js';
import { classifyDeliveryError } from './slackDeliveryError.js';
import type { SlackPoster } from './slackPoster.js';
import type { SlackMessageContent } from './slackTemplates.js';

export interface DeliveryOptions {
  /** How often the outbox is looked at when nothing wakes the worker. */
  readonly pollMs: number;
  /** A claim outlives the slowest Web API call by far, so a live worker never loses one. */
  readonly claimMs: number;
  readonly batchSize: number;
  /** Backoff after the n-th failed attempt: baseMs * 2^(n-1), at most maxMs, with jitter. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** After this many attempts a message is failed for good (it stays listed, never deleted). */
  readonly maxAttempts: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  pollMs: 1000,
  claimMs: 60_000,
  batchSize: 20,
  backoffBaseMs: 2000,
  backoffMaxMs: 15 * 60_000,
  maxAttempts: 20,
};

/**
 * Posts what the outbox holds to Slack. Messages are claimed atomically (several workers, in
 * one or several processes, never send the same one while a claim lasts), sent one at a
 * time, and settled: delivered, retried later with backoff (a 429's Retry-After pauses all
 * sending for that long), or failed for good on an error no retry can fix.
 */
export class SlackDeliveryWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly options: DeliveryOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wakeRequested = false;
  private stopped = true;
  private pausedUntil = 0;

  constructor(
    private readonly parts: {
      readonly store: Pick<Store, 'outbox' | 'slackMessages' | 'changes'>;
      readonly renderer: NotificationRenderer;
      readonly poster: SlackPoster;
      readonly clock: Clock;
      readonly logger: Logger;
      /** A card posted while its change moved on needs a refresh: the notifier queues it. */
      readonly refreshStaleCopy: (copy: SlackMessageCopy, latest: Change) => Promise<void>;
    },
    options: Partial<DeliveryOptions> = {},
  ) {
    this.options = { ...DEFAULT_DELIVERY_OPTIONS, ...options };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Something was queued: look now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Claims one batch and delivers it; returns how many messages were attempted. */
  async deliverDue(): Promise<number> {
    const now = this.parts.clock();
    if (now.getTime() < this.pausedUntil) return 0;
    const batch = await this.parts.store.outbox.claimDue({ now, owner: this.owner, claimMs: this.options.claimMs, limit: this.options.batchSize });
    for (const [index, message] of batch.entries()) {
      if (this.parts.clock().getTime() < this.pausedUntil) {
        // Rate limited mid-batch: the rest go back untried, due when the pause ends.
        for (const rest of batch.slice(index)) await this.release(rest, new Date(this.pausedUntil), 'waiting out a Slack rate limit');
        break;
      }
      await this.deliver(message);
    }
    return batch.length;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.loop().finally(() => {
        this.running = undefined;
        const again = this.wakeRequested;
        this.wakeRequested = false;
        const pause = Math.max(0, this.pausedUntil - this.parts.clock().getTime());
        this.schedule(again ? pause : Math.max(pause, this.options.pollMs));
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    try {
      // Keep going while full batches come back: a backlog drains without waiting for polls.
      while (!this.stopped && (await this.deliverDue()) >= this.options.batchSize) {
        /* next batch */
      }
    } catch (error) {
      this.parts.logger.error({ err: error }, 'outbox delivery failed; retrying at the next poll');
    }
  }

  private async deliver(message: OutboxMessage): Promise<void> {
    const type = message.type as NotificationType;
    if (!NOTIFICATION_TYPES.includes(type) || message.channel === undefined) {
      await this.settleFailure(message, { kind: 'permanent', message: `cannot deliver: ${message.channel === undefined ? 'no channel' : `unknown type ${message.type}`}` });
      return;
    }
    try {
      const data = message.payload as NotificationData;
      const rendered = await this.parts.renderer.render(type, data, message.audience);
      if (rendered.problem) this.parts.logger.error({ type, problem: rendered.problem }, 'Slack template problem: built-in wording used');
      const delivered = await this.send(message, message.channel, rendered.content);
      if (type === 'access.request_created' && message.placement.kind === 'post' && data.change) {
        const copy = { changeCode: data.change.code, channel: delivered.channel, ts: delivered.ts, audience: message.audience, postedAt: this.parts.clock() };
        // Recorded before the message is settled: a copy Slack has must never be forgotten.
        await this.parts.store.slackMessages.record(copy);
        const latest = await this.parts.store.changes.findByCode(data.change.code);
        if (latest && rendered.changeVersion !== undefined && latest.version !== rendered.changeVersion) {
          await this.parts.refreshStaleCopy(copy, latest);
        }
      }
      const settled = await this.parts.store.outbox.markDelivered(message.id, this.owner, { at: this.parts.clock(), ...delivered });
      if (!settled) this.parts.logger.warn({ outbox: message.id }, 'outbox claim was lost while delivering; the message may be sent twice');
    } catch (error) {
      await this.settleFailure(message, classifyDeliveryError(error));
    }
  }

  private async send(message: OutboxMessage, channel: string, content: SlackMessageContent): Promise<{ channel: string; ts: string }> {
    if (message.placement.kind === 'update') {
      await this.parts.poster.updateMessage({ ...content, channel, ts: message.placement.ts });
      return { channel, ts: message.placement.ts };
    }
    const threadTs = message.placement.threadTs;
    try {
      return await this.parts.poster.postMessage({ ...content, channel, threadTs });
    } catch (error) {
      const problem = classifyDeliveryError(error);
      if (problem.kind !== 'permanent' || problem.slackError !== 'invalid_blocks') throw error;
      // Slack refused the blocks (an admin's template went wrong in a way JSON cannot show):
      // the words still go out, as plain text.
      this.parts.logger.error({ type: message.type }, 'Slack refused the rendered blocks; sent as plain text');
      return this.parts.poster.postMessage({ text: content.text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: content.text } }], channel, threadTs });
    }
  }

  private async settleFailure(message: OutboxMessage, problem: ReturnType<typeof classifyDeliveryError>): Promise<void> {
    const now = this.parts.clock();
    let retryAt: Date | null;
    if (problem.kind === 'permanent' || message.attempts >= this.options.maxAttempts) retryAt = null;
    else if (problem.kind === 'rate_limited') {
      this.pausedUntil = Math.max(this.pausedUntil, now.getTime() + problem.retryAfterMs);
      retryAt = new Date(now.getTime() + problem.retryAfterMs);
    } else retryAt = new Date(now.getTime() + this.backoff(message.attempts));
    const settled = await this.parts.store.outbox.markFailed(message.id, this.owner, { at: now, error: problem.message, retryAt });
    const log = { outbox: message.id, type: message.type, audience: message.audience, attempts: message.attempts, error: problem.message };
    if (!settled) this.parts.logger.warn(log, 'outbox claim was lost before a failure could be recorded');
    else if (retryAt) this.parts.logger.warn({ ...log, retryAt }, 'Slack delivery failed; will retry');
    else this.parts.logger.error(log, 'Slack delivery failed for good; the message stays in the outbox');
  }

  /** Puts a claimed message back untried, due again when the rate-limit pause ends. */
  private async release(message: OutboxMessage, retryAt: Date, reason: string): Promise<void> {
    await this.parts.store.outbox.markFailed(message.id, this.owner, { at: this.parts.clock(), error: reason, retryAt });
  }

  private backoff(attempts: number): number {
    const exponential = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
    // Jitter keeps several processes (or many failed messages) from retrying in lockstep.
    return Math.round(exponential * (0.75 + Math.random() * 0.5));
  }
}
