import { describe, expect, it } from 'vitest';
import { AsciicastRecorder } from '../../../src/proxy/recording/asciicastRecorder.js';
import type { RecordingWriter } from '../../../src/store/recordingStore.js';

class MemoryWriter implements RecordingWriter {
  readonly ref = 'memory:test';
  readonly appends: string[] = [];
  closed = false;
  async append(text: string): Promise<void> {
    this.appends.push(text);
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
});
