import { describe, expect, it } from 'vitest';
import { PromptEditor, splitKeys } from '../../../src/proxy/prompt/promptEditor.js';

function editor() {
  const lines: string[] = [];
  let shown = '';
  let interrupts = 0;
  let ended = false;
  const ed = new PromptEditor(
    {
      write: (data) => (shown += data.toString('utf8')),
      line: (text) => lines.push(text),
      interrupt: () => interrupts++,
      end: () => (ended = true),
      complete: async (line) => [['alpha', 'alpine'].filter((c) => c.startsWith(line.split(' ').pop() ?? '')), line.split(' ').pop() ?? ''],
    },
    { cols: 80, rows: 24 },
  );
  return { ed, lines, shown: () => shown, interrupts: () => interrupts, ended: () => ended };
}

const type = (ed: PromptEditor, text: string) => ed.feed(Buffer.from(text, 'utf8'));

describe("changeguard's line editor", () => {
  it('edits at the cursor even when keys arrive in one chunk', () => {
    const { ed, lines } = editor();
    ed.prompt('$ ');
    type(ed, 'abc\x1b[D\x1b[DX\r');
    expect(lines).toEqual(['aXbc']);
    ed.prompt('$ ');
    type(ed, '-rf x\x01rm \x05\r');
    expect(lines.at(-1)).toBe('rm -rf x');
  });

  it('recalls history with the arrow keys', () => {
    const { ed, lines } = editor();
    ed.prompt('$ ');
    type(ed, 'ls /tmp\r');
    ed.prompt('$ ');
    type(ed, '\x1b[A\x01\x04\x04cat\r');
    expect(lines).toEqual(['ls /tmp', 'cat /tmp']);
  });

  it('reads one line per prompt: what follows Enter waits for the next prompt', () => {
    const { ed, lines, shown } = editor();
    ed.prompt('$ ');
    type(ed, 'first\rsecond\rthi');
    expect(lines).toEqual(['first']);
    expect(shown()).not.toContain('second');
    ed.prompt('$ ');
    expect(lines).toEqual(['first', 'second']);
    ed.prompt('$ ');
    type(ed, 'rd\r');
    expect(lines).toEqual(['first', 'second', 'third']);
  });

  it('keeps keys typed before the first prompt for it', () => {
    const { ed, lines } = editor();
    type(ed, 'early\r');
    expect(lines).toEqual([]);
    ed.prompt('$ ');
    expect(lines).toEqual(['early']);
  });

  it('holds a multi-line bracketed paste as one block until Enter, and drops it on Ctrl-C', () => {
    const { ed, lines, interrupts } = editor();
    ed.prompt('$ ');
    type(ed, 'echo x; \x1b[200~touch a\r\ntouch b\n\x1b[201~');
    expect(lines).toEqual([]);
    type(ed, '\r');
    expect(lines).toEqual(['echo x; touch a\ntouch b']);
    ed.prompt('$ ');
    type(ed, '\x1b[200~rm a\nrm b\x1b[201~\x03');
    expect(interrupts()).toBe(1);
    ed.prompt('$ ');
    type(ed, 'ok\r');
    expect(lines).toEqual(['echo x; touch a\ntouch b', 'ok']);
  });

  it('inserts a one-line paste as typed text, and waits for a paste split over chunks', () => {
    const { ed, lines } = editor();
    ed.prompt('$ ');
    type(ed, 'echo \x1b[200~he');
    type(ed, 'llo\x1b[2');
    type(ed, '01~!\r');
    expect(lines).toEqual(['echo hello!']);
  });

  it('drops the line on Ctrl-C without submitting it', () => {
    const { ed, lines, interrupts } = editor();
    ed.prompt('$ ');
    type(ed, 'rm -rf /\x03');
    expect(lines).toEqual([]);
    expect(interrupts()).toBe(1);
    ed.prompt('$ ');
    type(ed, 'ls\r');
    expect(lines).toEqual(['ls']);
  });

  it('completes with Tab from what the device offers', async () => {
    const { ed, lines } = editor();
    ed.prompt('$ ');
    type(ed, 'echo al\t');
    await new Promise((resolve) => setTimeout(resolve, 10));
    type(ed, '\r');
    expect(lines).toEqual(['echo alp']);
  });

  it('ends on Ctrl-D at an empty line', () => {
    const { ed, ended } = editor();
    ed.prompt('$ ');
    type(ed, '\x04');
    expect(ended()).toBe(true);
  });

  it('keeps a character split over two chunks whole', () => {
    const { ed, lines } = editor();
    ed.prompt('$ ');
    const bytes = Buffer.from('echo é\r', 'utf8');
    ed.feed(bytes.subarray(0, 6));
    ed.feed(bytes.subarray(6));
    expect(lines).toEqual(['echo é']);
  });

  it('splits keys: escape sequences whole, characters one by one', () => {
    expect(splitKeys('a\x1b[Db\x1bOAé\x1b[1;5C')).toEqual({ keys: ['a', '\x1b[D', 'b', '\x1bOA', 'é', '\x1b[1;5C'], rest: '' });
    expect(splitKeys('x\x1b[1;')).toEqual({ keys: ['x'], rest: '\x1b[1;' });
  });
});
