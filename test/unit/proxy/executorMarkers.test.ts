import { describe, expect, it } from 'vitest';
import { ExecutorMarkers, type ExecutorEvent } from '../../../src/proxy/executor/executorMarkers.js';

const NONCE = '0123456789abcdef';
const marker = (body: string) => `\x1b]6973;${NONCE};${body}\x07`;

function scanAll(chunks: readonly string[]): { output: string; events: ExecutorEvent[] } {
  const markers = new ExecutorMarkers(NONCE);
  let output = '';
  const events: ExecutorEvent[] = [];
  for (const chunk of chunks) {
    const result = markers.scan(Buffer.from(chunk, 'latin1'));
    output += result.output.toString('latin1');
    events.push(...result.events);
  }
  output += markers.flush().toString('latin1');
  return { output, events };
}

describe("the executor's markers", () => {
  const stream = `ls output\r\n\x1b[1;32mgreen\x1b[0m${marker("ready;1a2b3c4d5e6f;0;1000;/srv/app\\ dir")}${marker("unjudged;touch\\ /tmp/p")}tail`;

  it('are cut out of the output and read as events', () => {
    const { output, events } = scanAll([stream]);
    expect(output).toBe('ls output\r\n\x1b[1;32mgreen\x1b[0mtail');
    expect(events).toEqual([
      { type: 'ready', challenge: '1a2b3c4d5e6f', status: 0, euid: 1000, cwd: '/srv/app dir' },
      { type: 'unjudged', text: 'touch /tmp/p' },
    ]);
  });

  it('are found whatever byte the output is split at, and no byte of them is shown', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const second of [cut, Math.min(stream.length, cut + 7)]) {
        const { output, events } = scanAll([stream.slice(0, cut), stream.slice(cut, second), stream.slice(second)]);
        expect(output, `cut at ${cut}/${second}`).toBe('ls output\r\n\x1b[1;32mgreen\x1b[0mtail');
        expect(events).toHaveLength(2);
      }
    }
  });

  it('pass output without an escape byte through untouched', () => {
    const markers = new ExecutorMarkers(NONCE);
    const chunk = Buffer.from('plain bulk output\n'.repeat(1000));
    expect(markers.scan(chunk).output).toBe(chunk);
  });

  it('leave other sequences alone, the OSC number with another nonce included', () => {
    const other = '\x1b]0;title\x07\x1b]6973;ffffffffffffffff;ready;1;0;0;/\x07\x1b]133;A\x07';
    expect(scanAll([other])).toEqual({ output: other, events: [] });
  });

  it('report a marker with the nonce that is not one of theirs as malformed', () => {
    expect(scanAll([marker('ready;zz;0;0;/')]).events).toEqual([{ type: 'malformed', body: 'ready;zz;0;0;/' }]);
    expect(scanAll([marker('prompt;x')]).events).toEqual([{ type: 'malformed', body: 'prompt;x' }]);
  });

  it('give completions as words', () => {
    expect(scanAll([marker("completions;a\\ b c\\'d $'e\\tf' ")]).events).toEqual([{ type: 'completions', items: ['a b', "c'd", 'e\tf'] }]);
  });

  it('show an unterminated start again when the stream ends', () => {
    const { output, events } = scanAll([`x\x1b]6973;${NONCE};ready;12`]);
    expect(output).toBe(`x\x1b]6973;${NONCE};ready;12`);
    expect(events).toEqual([]);
  });
});
