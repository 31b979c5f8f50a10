import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { AsciicastRecorder } from '../../../src/proxy/recording/asciicastRecorder.js';
import type { RecordingWriter } from '../../../src/store/recordingStore.js';

class MemoryWriter implements RecordingWriter {
  readonly ref = 'memory:test';
  readonly appends: string[] = [];
  closed = false;
  async append(data: string | Buffer): Promise<void> {
    this.appends.push(data.toString());
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('the asciicast recorder', () => {
  it('writes a v2 header and time-ordered output, input and resize events', async () => {
    const writer = new MemoryWriter();
    const recorder = new AsciicastRecorder(writer, { width: 80, height: 24, timestamp: 1_790_000_000, title: 'CHG-1 web01 alice', env: { TERM: 'xterm' } });
    recorder.input(Buffer.from('ls\r'));
    recorder.output(Buffer.from('file\r\n'));
    recorder.resize(120, 40);
    recorder.notice('changeguard: blocked\r\n');
    await recorder.flush();
    expect(writer.appends).toHaveLength(1);
    recorder.output(Buffer.from('more'));
    await recorder.close();
    expect(writer.closed).toBe(true);
    const [header, ...events] = writer.appends.join('').trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(header).toEqual({ version: 2, width: 80, height: 24, timestamp: 1_790_000_000, title: 'CHG-1 web01 alice', env: { TERM: 'xterm' } });
    expect(events.map((e) => (e as unknown[]).slice(1))).toEqual([
      ['i', 'ls\r'],
      ['o', 'file\r\n'],
      ['r', '120x40'],
      ['o', 'changeguard: blocked\r\n'],
      ['o', 'more'],
    ]);
    const times = events.map((e) => (e as [number])[0]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('keeps characters split across chunks whole', async () => {
    const writer = new MemoryWriter();
    const recorder = new AsciicastRecorder(writer, { width: 80, height: 24, timestamp: 0 });
    const text = Buffer.from('✓ done', 'utf8');
    recorder.output(text.subarray(0, 1));
    recorder.output(text.subarray(1));
    await recorder.close();
    const events = writer.appends.join('').trimEnd().split('\n').slice(1).map((line) => JSON.parse(line) as [number, string, string]);
    expect(events.map((e) => e[2]).join('')).toBe('✓ done');
  });

  it('records any output, cut anywhere, as the JSON that JSON.stringify gives for the text', async () => {
    // Control characters, quotes, backslashes, DEL, 2-, 3- and 4-byte characters, U+2028.
    const alphabet = ['a', ' ', '"', '\\', '\x1b', '\r', '\n', '\t', '\b', '\f', '\x00', '\x1f', '\x7f', 'é', '✓', '𝄞', '\u2028', 'x'.repeat(200)];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      const text = Array.from({ length: 400 }, () => alphabet[random(alphabet.length)]).join('');
      const bytes = Buffer.from(text, 'utf8');
      const writer = new RawWriter();
      const recorder = new AsciicastRecorder(writer, { width: 80, height: 24, timestamp: 0 });
      for (let at = 0; at < bytes.length; ) {
        const next = Math.min(bytes.length, at + 1 + random(300));
        recorder.output(Buffer.from(bytes.subarray(at, next)));
        if (random(4) === 0) await recorder.flush();
        at = next;
      }
      await recorder.close();
      const lines = Buffer.concat(writer.appends).toString('utf8').trimEnd().split('\n').slice(1);
      let recorded = '';
      for (const line of lines) {
        const [seconds, kind, data] = JSON.parse(line) as [number, string, string];
        expect(kind).toBe('o');
        expect(line).toBe(`[${seconds}, "o", ${JSON.stringify(data)}]`);
        recorded += data;
      }
      expect(recorded).toBe(text);
    }
  });

  it('records bytes that are not UTF-8 as a terminal shows them, and the recording stays UTF-8', async () => {
    const writer = new RawWriter();
    const recorder = new AsciicastRecorder(writer, { width: 80, height: 24, timestamp: 0 });
    recorder.output(Buffer.from([0x41, 0xff, 0xfe, 0x42, 0xe2, 0x9c]));
    recorder.output(Buffer.from([0x93, 0x43, 0xc3]));
    await recorder.close();
    const file = Buffer.concat(writer.appends);
    expect(isUtf8(file)).toBe(true);
    const data = file.toString('utf8').trimEnd().split('\n').slice(1).map((line) => (JSON.parse(line) as [number, string, string])[2]).join('');
    expect(data).toBe('A\ufffd\ufffdB✓C\ufffd');
  });

  it('never changes what it handed to a writer whose write has not completed, while it records on', async () => {
    const writer = new RawWriter();
    writer.hold = true;
    const recorder = new AsciicastRecorder(writer, { width: 80, height: 24, timestamp: 0 });
    for (let burst = 0; burst < 6; burst++) {
      recorder.output(Buffer.alloc(300_000, 97 + burst));
      void recorder.flush();
    }
    for (let burst = 0; burst < 6; burst++) recorder.output(Buffer.alloc(300_000, 65 + burst));
    await new Promise((resolve) => setImmediate(resolve));
    // What each held write was given is what it holds now that later lines were built.
    expect(writer.given).toHaveLength(1); // writes are chained: the rest wait for this one
    expect(writer.given.map((data) => data.toString('latin1'))).toEqual(writer.appends.map((data) => data.toString('latin1')));
    writer.release();
    await recorder.close();
    const data = Buffer.concat(writer.appends).toString('utf8').trimEnd().split('\n').slice(1).map((line) => (JSON.parse(line) as [number, string, string])[2]).join('');
    expect(data).toBe(['a', 'b', 'c', 'd', 'e', 'f', 'A', 'B', 'C', 'D', 'E', 'F'].map((char) => char.repeat(300_000)).join(''));
  });
});

/**
 * Keeps a copy of what it was given (`appends`), and the buffers themselves (`given`: the
 * recorder's again once a write completes); can hold writes back until released.
 */
class RawWriter implements RecordingWriter {
  readonly ref = 'memory:raw';
  readonly appends: Buffer[] = [];
  readonly given: Buffer[] = [];
  hold = false;
  private waiting: (() => void)[] = [];
  append(data: string | Buffer): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.given.push(bytes);
    this.appends.push(Buffer.from(bytes));
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    this.hold = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
  async close(): Promise<void> {}
}
