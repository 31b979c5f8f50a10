import type { Store } from '../../src/store/store.js';
import { StoreUnavailableError } from '../../src/store/storeErrors.js';

const REPOSITORIES = ['changes', 'sessions', 'commands', 'audit', 'policy', 'accounts', 'linkNonces', 'outbox', 'slackMessages', 'reportSchedules', 'deviations'] as const;

/**
 * A store that can be made unreachable and brought back. While it is down, every repository
 * call fails with StoreUnavailableError, as the adapters report a backend they cannot reach
 * (a MongoDB primary gone, a SQLite file that cannot be opened); nothing reaches the store
 * underneath, so it comes back exactly as it was.
 *
 * Why not the real SQLite file: a closed better-sqlite3 connection cannot be reopened under
 * the same Store object, file permissions do not stop root (the tests run as root), and a
 * lock held by another connection only delays writes (readers keep going in WAL mode). What
 * this cannot show is the driver's own error classification, which isStoreUnavailable's
 * unit test covers with a real closed SQLite connection.
 */
export class FaultInjectingStore implements Store {
  down = false;
  /** Calls refused while down, to show the outage was real. */
  refused = 0;
  readonly kind: Store['kind'];
  readonly changes!: Store['changes'];
  readonly sessions!: Store['sessions'];
  readonly commands!: Store['commands'];
  readonly audit!: Store['audit'];
  readonly policy!: Store['policy'];
  readonly accounts!: Store['accounts'];
  readonly linkNonces!: Store['linkNonces'];
  readonly outbox!: Store['outbox'];
  readonly slackMessages!: Store['slackMessages'];
  readonly reportSchedules!: Store['reportSchedules'];
  readonly deviations!: Store['deviations'];

  constructor(private readonly inner: Store) {
    this.kind = inner.kind;
    for (const name of REPOSITORIES) {
      Object.defineProperty(this, name, { value: this.guard(name, inner[name] as object), enumerable: true });
    }
  }

  async relayPendingCommits(): Promise<number> {
    if (this.down) throw this.outage('relayPendingCommits');
    return this.inner.relayPendingCommits();
  }

  async ping(): Promise<void> {
    if (this.down) throw this.outage('ping');
    await this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private outage(what: string): StoreUnavailableError {
    this.refused++;
    return new StoreUnavailableError(`store unreachable (injected fault): ${what}`);
  }

  private guard<T extends object>(repository: string, target: T): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        const name = `${repository}.${String(property)}`;
        return (...args: unknown[]) => {
          if (!this.down) return method.apply(object, args);
          const error = this.outage(name);
          // iterate() hands back an async iterable rather than a promise.
          if (property === 'iterate' || property === 'iterateStored') {
            return (async function* () {
              yield* [];
              throw error;
            })();
          }
          return Promise.reject(error);
        };
      },
    });
  }
}
