import { audienceKey } from '../../domain/notifications/audienceKey.js';
import type { Audience, Notification } from '../../domain/notifications/catalogue.js';
import type { Store } from '../../store/store.js';
import { isStoreUnavailable } from '../../store/storeErrors.js';
import type { Notifier } from './notifier.js';
import { planOutbox, checkNotification, type PlannerDeps } from './outboxPlanner.js';

/** Notifications kept in memory while the store is unreachable; beyond this, new ones are refused (and logged by the caller). */
export const MAX_HELD_NOTIFICATIONS = 10_000;
const DEFAULT_HELD_RETRY_MS = 2000;

/** What the notifier logs (pino's logger has these). */
export interface NotifierLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
  info(message: string): void;
}

/** A notification the store could not take yet, with the audiences still to store. */
interface HeldNotification {
  readonly notification: Notification;
  audiences: readonly Audience[];
}

/**
 * The Notifier for notifications raised outside a use case's commit (the proxy's alerts, the
 * scheduler's reminders and reports). Each is stored in the outbox, one row per destination,
 * before anything is sent; the Slack adapter delivers the rows.
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
    private readonly deps: PlannerDeps & { readonly store: Pick<Store, 'outbox' | 'slackMessages'> },
    private readonly options: {
      readonly logger: NotifierLog;
      /** How often held notifications are offered to the store again while it is unreachable. */
      readonly heldRetryMs?: number | undefined;
    },
  ) {}

  /** Notifications waiting for the store to come back. */
  get heldCount(): number {
    return this.held.length;
  }

  async notify(notification: Notification): Promise<void> {
    checkNotification(notification);
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

  /** Stores the rows of each audience in turn; returns the audiences left when the store stopped answering. */
  private async store(notification: Notification, audiences: readonly Audience[]): Promise<readonly Audience[]> {
    const stored = [];
    try {
      for (const [index, audience] of audiences.entries()) {
        try {
          for (const row of await planOutbox(this.deps, notification, [audience])) {
            if (await this.deps.store.outbox.enqueue(row)) stored.push(row);
          }
        } catch (error) {
          if (!isStoreUnavailable(error)) throw error;
          return audiences.slice(index);
        }
      }
      return [];
    } finally {
      if (stored.length > 0) this.deps.outbox.onStored(stored);
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
}
