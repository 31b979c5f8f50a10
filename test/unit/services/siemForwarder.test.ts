import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SiemEvent } from '../../../src/domain/siem/siemEvent.js';
import { SiemForwarder } from '../../../src/services/siem/siemForwarder.js';
import type { SiemSink } from '../../../src/services/siem/siemSink.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { TestClock } from '../../support/testClock.js';

/** A sink that records batches, and fails while `down`. */
class RecordingSink implements SiemSink {
  readonly batches: SiemEvent[][] = [];
  down = false;
  attempts = 0;
  constructor(readonly name: string) {}
  async send(events: readonly SiemEvent[]): Promise<void> {
    this.attempts++;
    if (this.down) throw new Error(`${this.name} is down`);
    this.batches.push([...events]);
  }
  async close(): Promise<void> {}
  get positions(): number[] {
    return this.batches.flat().map((e) => e.pos);
  }
}

const silent = { info: () => undefined, warn: () => undefined };
let store: SqliteStore;
let clock: TestClock;
const append = async (n: number) => {
  for (let i = 0; i < n; i++) await store.audit.append({ at: clock.now(), status: 'S', eventType: 'TEST', class: 'SIEM', actor: 'test' });
};

beforeEach(() => {
  store = SqliteStore.open(':memory:');
  clock = new TestClock(new Date('2026-12-05T09:00:00Z'));
});
afterEach(async () => store.close());

describe('SiemForwarder', () => {
  it('sends each sink its events in order, in batches, and a sink that is down holds up only itself', async () => {
    const syslog = new RecordingSink('syslog');
    const webhook = new RecordingSink('webhook');
    const forwarder = new SiemForwarder({ feed: store.siemFeed, clock: () => clock.now() }, [syslog, webhook], silent, { batchSize: 4 });
    await store.siemFeed.register(['syslog', 'webhook'], clock.now());
    webhook.down = true;
    await append(10);
    await forwarder.forwardAll();
    expect(syslog.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(syslog.positions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(webhook.batches).toEqual([]);
    expect((await store.siemFeed.status()).find((s) => s.sink === 'webhook')).toMatchObject({ failures: 1, backlog: 10, lastError: 'webhook is down' });

    // Not again before its retry time (1 s, up to a tenth more); then the same events, from the first.
    webhook.down = false;
    clock.advance(500);
    await forwarder.forwardAll();
    expect(webhook.attempts).toBe(1);
    clock.advance(700);
    await forwarder.forwardAll();
    expect(webhook.positions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await store.siemFeed.status()).toEqual([
      expect.objectContaining({ sink: 'syslog', backlog: 0, failures: 0 }),
      expect.objectContaining({ sink: 'webhook', backlog: 0, failures: 0 }),
    ]);
  });

  it('waits longer after each failure in a row', async () => {
    const sink = new RecordingSink('syslog');
    sink.down = true;
    const forwarder = new SiemForwarder({ feed: store.siemFeed, clock: () => clock.now() }, [sink], silent);
    await store.siemFeed.register(['syslog'], clock.now());
    await append(1);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await forwarder.forwardAll();
      const [status] = await store.siemFeed.status();
      waits.push(status!.nextAttemptAt.getTime() - clock.now().getTime());
      clock.set(status!.nextAttemptAt);
    }
    expect(waits.map((ms) => Math.floor(ms / 1000))).toEqual([1, 2, 4, 8]);
    expect(sink.attempts).toBe(4);
  });
});
