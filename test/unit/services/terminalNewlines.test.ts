import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { withTerminalNewlines } from '../../../src/services/sessions/terminalNewlines.js';
import { parseAsciicast } from '../../support/asciicast.js';

const header = '{"version": 2, "width": 80, "height": 24, "timestamp": 1795860000}';

async function replay(chunks: readonly (string | Buffer)[]): Promise<string> {
  return text(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).pipe(withTerminalNewlines()));
}

describe('exec recordings replayed as a terminal shows them', () => {
  it('adds the CR a terminal would have put before each bare LF of the output, and nothing else', async () => {
    const cast = [header, '[0.1, "o", "one\\ntwo\\n"]', '[0.2, "i", "typed\\n"]', '[0.3, "o", "already\\r\\nfine\\r\\n"]', '[0.4, "r", "100x30"]', ''].join('\n');
    const parsed = parseAsciicast(await replay([cast]));
    expect(parsed.header).toMatchObject({ version: 2, width: 80 });
    expect(parsed.events.map((e) => [e.kind, e.data])).toEqual([
      ['o', 'one\r\ntwo\r\n'],
      ['i', 'typed\n'],
      ['o', 'already\r\nfine\r\n'],
      ['r', '100x30'],
    ]);
  });

  it('keeps CR LF split across two events, lines split across chunks, and characters split across bytes', async () => {
    const cast = `${header}\n[0.1, "o", "end of a line\\r"]\n[0.2, "o", "\\nnext é line\\n"]\n`;
    const bytes = Buffer.from(cast);
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    const out = await replay([bytes.subarray(0, 20), bytes.subarray(20, cut), bytes.subarray(cut)]);
    expect(parseAsciicast(out).output).toBe('end of a line\r\nnext é line\r\n');
  });

  it('passes a torn last line (a crash mid-write) through untouched', async () => {
    const out = await replay([`${header}\n[0.1, "o", "ok\\n"]\n[0.2, "o", "cut sh`]);
    expect(out.endsWith('[0.2, "o", "cut sh')).toBe(true);
    expect(parseAsciicast(out).truncatedTail).toBe('[0.2, "o", "cut sh');
  });
});
