import { afterEach, describe, expect, it } from 'vitest';
import { LineReader } from '../../../src/proxy/capture/lineReader.js';

const NONCE = 'abcdef12';
const A = `\x1b]133;A;cg=${NONCE}\x07`;
const B = `\x1b]133;B;cg=${NONCE}\x07`;

let reader: LineReader;
afterEach(() => reader.dispose());

async function show(text: string, cols = 40, rows = 10): Promise<LineReader> {
  reader ??= new LineReader(cols, rows, NONCE);
  reader.reset();
  reader.write(Buffer.from(text));
  await reader.whenParsed();
  return reader;
}

describe('reading the submitted line from the mirrored screen', () => {
  it('reads from the input start, after the prompt, as edited', async () => {
    reader = new LineReader(40, 10, NONCE);
    await show(`${A}\x1b[32muser@host\x1b[0m:~$ ${B}rm -rf /tmpx\b \b\x1b[K`);
    expect(reader.read()).toEqual({ ok: true, text: 'rm -rf /tmp', continuation: false });
  });

  it('joins soft-wrapped rows and keeps the newlines of a multi-line buffer', async () => {
    reader = new LineReader(20, 10, NONCE);
    await show(`${A}$ ${B}echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\ntouch b`);
    expect(reader.read()).toMatchObject({ ok: true, text: 'echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\ntouch b' });
  });

  it('reads readline\'s incremental search line, and refuses a prompt drawn differently', async () => {
    reader = new LineReader(60, 10, NONCE);
    await show(`${A}host$ ${B}\r(reverse-i-search)\`rm': rm -rf /srv\x1b[K`);
    expect(reader.read()).toMatchObject({ ok: true, text: 'rm -rf /srv' });
    await show(`${A}host$ ${B}\rsomething else entirely`);
    expect(reader.read()).toEqual({ ok: false, reason: 'the prompt was redrawn differently' });
  });

  it('refuses when there is no prompt or a full-screen program is up', async () => {
    reader = new LineReader(40, 10, NONCE);
    await show('no markers here');
    expect(reader.read()).toEqual({ ok: false, reason: 'no prompt on screen' });
    await show(`${A}$ ${B}\x1b[?1049hvim`);
    expect(reader.read()).toEqual({ ok: false, reason: 'a full-screen program is on screen' });
  });

  it('marks continuation prompts (PS2)', async () => {
    reader = new LineReader(40, 10, NONCE);
    await show(`\x1b]133;A;k=2;cg=${NONCE}\x07> \x1b]133;B;k=2;cg=${NONCE}\x07done`);
    expect(reader.read()).toEqual({ ok: true, text: 'done', continuation: true });
  });
});
