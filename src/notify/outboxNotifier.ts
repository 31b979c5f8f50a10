import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { OutboxMessage, OutboxPlacement } from '../store/outboxRepository.js';
import type { SlackMessageCopy } from '../store/slackMessageRepository.js';
import { isStoreUnavailable } from '../store/storeErrors.js';
import { audienceKey, parseAudienceKey } from './audienceKey.js';
import { NOTIFICATION_TYPES, type Audience, type Notification, type NotificationData, type Notifier, type NotificationType } from './notification.js';
import type { NotificationRenderer } from './notificationRenderer.js';
import { slackTextToPlain } from './slackEscape.js';

const notificationSchema = z.object({
  type: z.enum(NOTIFICATION_TYPES),
  audience: z.array(
    z.union([
      z.object({ role: z.enum(['approvals', 'security', 'audit']) }),
      z.object({ user: z.string().min(1) }),
      z.object({ slackChannel: z.string().regex(/^[CGDU][A-Z0-9]+$/, 'must be a Slack conversation id') }),
    ]),
  ),
  data: z.record(z.string(), z.unknown()),
  dedupeKey: z.string().min(1).max(500).optional(),
});

export const SLACK_NOT_CONFIGURED = 'Slack not configured';
/** Notifications kept in memory while the store is unreachable; beyond this, new ones are refused (and logged by the caller). */
export const MAX_HELD_NOTIFICATIONS = 10_000;
const DEFAULT_HELD_RETRY_MS = 2000;

/** A notification the store could not take yet, with the audiences still to store. */
interface HeldNotification {
  readonly notification: Notification;
  audiences: readonly Audience[];
}

/**
 * The Notifier everyone raises notifications through. Each notification is stored in the
 * outbox, one message per audience, before anything is sent: the delivery worker posts
 * them to Slack; without Slack they stay there as "not sent" for the web page, and are logged.
 *
 * The outbox lives in the store: while the store is unreachable, notifications (a session's
 * end, an alert) are held in memory, in order, and stored as soon as it answers again, so
 * an outage delays them rather than losing them. Only a process that dies during the
 * outage loses what it held (logged when it stops).
 */
export class OutboxNotifier implements Notifier {
  private readonly held: HeldNotification[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: Pick<ServiceDeps, 'store' | 'policies' | 'clock'>,
    private readonly renderer: NotificationRenderer,
    private readonly options: {
      readonly slackEnabled: boolean;
      readonly logger: Logger;
      /** Called after something was queued for Slack: the worker delivers at once rather than at its next poll. */
      readonly onQueued?: (() => void) | undefined;
      /** How often held notifications are offered to the store again while it is unreachable. */
      readonly heldRetryMs?: number | undefined;
    },
  ) {}

  /** Notifications waiting for the store to come back. */
  get heldCount(): number {
    return this.held.length;
  }

  async notify(notification: Notification): Promise<void> {
    const checked = notificationSchema.safeParse(notification);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new TypeError(`invalid notification: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    // Behind notifications already waiting, so they reach the outbox in the order raised.
    if (this.held.length > 0) {
      this.hold(notification, notification.audience);
      return;
    }
    const rest = await this.store(notification, notification.audience);
    if (rest.length > 0) this.hold(notification, rest);
  }

  /** Offers held notifications to the store now (also runs on its own every heldRetryMs). */
  flushHeld(): Promise<void> {
    this.flushing ??= (async () => {
      while (this.held.length > 0) {
        const head = this.held[0]!;
        try {
          head.audiences = await this.store(head.notification, head.audiences);
        } catch (error) {
          this.held.shift();
          this.options.logger.error({ err: error, type: head.notification.type }, 'a held notification could not be stored and is dropped');
          continue;
        }
        if (head.audiences.length > 0) {
          this.scheduleRetry();
          return;
        }
        this.held.shift();
        if (this.held.length === 0) this.options.logger.info('the store answers again: held notifications are in the outbox');
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Last chance for held notifications; whatever the store still refuses is logged as lost. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.held.length > 0) await this.flushHeld();
    for (const { notification, audiences } of this.held.splice(0)) {
      this.options.logger.error(
        { type: notification.type, audience: audiences.map(audienceKey), data: notification.data },
        'notification lost: the store was still unreachable when changeguard stopped',
      );
    }
  }

  /** Stores one outbox message per audience; returns the audiences left when the store stopped answering. */
  private async store(notification: Notification, audiences: readonly Audience[]): Promise<readonly Audience[]> {
    let queued = false;
    try {
      for (const [index, audience] of audiences.entries()) {
        const key = audienceKey(audience);
        const dedupeKey = notification.dedupeKey === undefined ? undefined : `${notification.dedupeKey}|${key}`;
        try {
          queued = (await this.enqueue(notification.type, key, notification.data, { kind: 'post' }, dedupeKey)) || queued;
        } catch (error) {
          if (!isStoreUnavailable(error)) throw error;
          return audiences.slice(index);
        }
      }
      return [];
    } finally {
      if (queued) this.options.onQueued?.();
    }
  }

  private hold(notification: Notification, audiences: readonly Audience[]): void {
    if (this.held.length >= MAX_HELD_NOTIFICATIONS) {
      throw new Error(`the store is unreachable and ${MAX_HELD_NOTIFICATIONS} notifications already wait for it: this ${notification.type} is not kept`);
    }
    this.held.push({ notification, audiences });
    this.options.logger.warn({ type: notification.type, waiting: this.held.length }, 'store unreachable: notification held until it is back');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flushHeld();
    }, this.options.heldRetryMs ?? DEFAULT_HELD_RETRY_MS);
    this.retryTimer.unref();
  }

  /** A reply in the thread of a posted copy (each review of a change request). */
  async notifyInThread(type: NotificationType, data: NotificationData, copy: SlackMessageCopy, dedupeKey: string): Promise<void> {
    const queued = await this.enqueue(type, copy.audience, data, { kind: 'post', threadTs: copy.ts }, dedupeKey, copy.channel);
    if (queued) this.options.onQueued?.();
  }

  /** Re-renders a posted change request card from the change as stored when it is delivered. */
  async refreshCopy(copy: SlackMessageCopy, data: NotificationData, dedupeKey: string): Promise<void> {
    const queued = await this.enqueue('access.request_created', copy.audience, data, { kind: 'update', ts: copy.ts }, dedupeKey, copy.channel);
    if (queued) this.options.onQueued?.();
  }

  /** Returns true when a message was queued for Slack (not a duplicate, not held back). */
  private async enqueue(
    type: NotificationType,
    audience: string,
    data: NotificationData,
    placement: OutboxPlacement,
    dedupeKey: string | undefined,
    knownChannel?: string,
  ): Promise<boolean> {
    const now = this.deps.clock();
    const destination = knownChannel !== undefined ? { channel: knownChannel } : await this.resolve(audience);
    const rendered = await this.renderer.render(type, data, audience);
    if (rendered.problem) this.options.logger.error({ type, problem: rendered.problem }, 'Slack template problem: built-in wording used');
    const text = slackTextToPlain(rendered.content.text);
    const heldBack = !this.options.slackEnabled ? SLACK_NOT_CONFIGURED : destination.problem;
    const message: OutboxMessage = {
      id: randomUUID(),
      dedupeKey,
      type,
      audience,
      channel: destination.channel,
      placement,
      payload: JSON.parse(JSON.stringify(data)) as Record<string, unknown>,
      text,
      status: heldBack ? 'not_sent' : 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastError: heldBack,
      createdAt: now,
      updatedAt: now,
    };
    const stored = await this.deps.store.outbox.enqueue(message);
    if (!stored) return false;
    if (heldBack) this.options.logger.info({ type, audience, text, outbox: message.id }, `notification not sent: ${heldBack}`);
    else this.options.logger.debug({ type, audience, outbox: message.id }, 'notification queued for Slack');
    return !heldBack;
  }

  /** Which Slack conversation an audience means, from the policy as it is now. */
  private async resolve(key: string): Promise<{ channel?: string; problem?: string }> {
    const audience: Audience | null = parseAudienceKey(key);
    if (!audience) return { problem: `unknown audience ${key}` };
    if ('slackChannel' in audience) return { channel: audience.slackChannel };
    const { policy } = await this.deps.policies.current();
    if ('role' in audience) {
      const channel = policy.channels[audience.role];
      return channel ? { channel } : { problem: `the policy names no ${audience.role} channel` };
    }
    const user = policy.users.find((u) => u.id === audience.user);
    if (!user) return { problem: `no user ${audience.user} in the policy` };
    // A user id as the channel posts to the app's direct messages with that user.
    return user.slack ? { channel: user.slack } : { problem: `user ${user.id} has no Slack id in the policy` };
  }
}
