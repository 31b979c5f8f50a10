import type { Notification } from '../../src/domain/notifications/catalogue.js';
import type { Notifier } from '../../src/services/notifications/notifier.js';

/** Keeps what was sent; can be told to fail, or to hold a delivery until released. */
export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  private failures: { remaining: number; message: string } | null = null;
  private gate: Promise<void> | null = null;

  async notify(notification: Notification): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failures && this.failures.remaining > 0) {
      this.failures.remaining--;
      throw new Error(this.failures.message);
    }
    this.sent.push(notification);
  }

  /** The next `times` deliveries throw (Infinity: all of them). */
  failNext(times: number, message = 'Slack is unreachable'): void {
    this.failures = { remaining: times, message };
  }

  /** Deliveries wait until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => {
      release = () => {
        this.gate = null;
        resolve();
      };
    });
    return release;
  }

  ofType(type: Notification['type']): Notification[] {
    return this.sent.filter((n) => n.type === type);
  }
}
