import { describe, expect, it } from 'vitest';
import { OutputScanner, type OutputEvent } from '../../../src/proxy/capture/outputScanner.js';

const NONCE = 'abcdef12';
const mark = (body: string, nonce = NONCE) => `\x1b]133;${body};cg=${nonce}\x07`;

function scanAll(scanner: OutputScanner, chunks: string[]): { events: OutputEvent[]; ends: number[] } {
  const events: OutputEvent[] = [];
  const ends: number[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const buffer = Buffer.from(chunk, 'latin1');
    for (const event of scanner.scan(buffer)) {
      events.push(event);
      ends.push(offset + event.end);
    }
    offset += buffer.length;
  }
  return { events, ends };
}

describe('the output scanner', () => {
  const stream = `motd\r\n${mark('D;0')}${mark('A')}user@host:~$ ${mark('B')}ls\r\n${mark('C')}file\r\n${mark('D;2')}\x1b[?1049hfull\x1b[?1049l${mark('A;k=2')}> ${mark('B;k=2')}`;

  it('reports this session\'s markers and screen switches, each at the offset just after it', () => {
    const { events, ends } = scanAll(new OutputScanner(NONCE), [stream]);
    expect(events.map((e) => (e.type === 'marker' ? e.marker : { screen: e.alternate }))).toEqual([
      { kind: 'D', status: 0 },
      { kind: 'A', continuation: false },
      { kind: 'B', continuation: false },
      { kind: 'C' },
      { kind: 'D', status: 2 },
      { screen: true },
      { screen: false },
      { kind: 'A', continuation: true },
      { kind: 'B', continuation: true },
    ]);
    expect(stream.slice(0, ends[2])).toMatch(/\$ \x1b\]133;B;cg=abcdef12\x07$/);
  });

  it('finds the same events whatever the chunk boundaries', () => {
    const whole = scanAll(new OutputScanner(NONCE), [stream]);
    for (let cut = 1; cut < stream.length; cut++) {
      const split = scanAll(new OutputScanner(NONCE), [stream.slice(0, cut), stream.slice(cut)]);
      expect(split.ends, `cut at ${cut}`).toEqual(whole.ends);
    }
    const byteByByte = scanAll(new OutputScanner(NONCE), [...stream]);
    expect(byteByByte.ends).toEqual(whole.ends);
  });

  it('ignores markers with another nonce, other OSC sequences and ordinary private modes', () => {
    const { events } = scanAll(new OutputScanner(NONCE), [
      `${mark('A', 'ffffffff')}\x1b]0;title\x07\x1b[?25l\x1b[?2004h\x1b]133;B\x07plain text\x1b[31mred`,
    ]);
    expect(events).toEqual([]);
  });

  it('does not copy or hold a chunk without escape sequences', () => {
    const scanner = new OutputScanner(NONCE);
    const chunk = Buffer.alloc(1 << 20, 'a');
    expect(scanner.scan(chunk)).toEqual([]);
  });
});
