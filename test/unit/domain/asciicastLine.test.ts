import { describe, expect, it } from 'vitest';
import { parseAsciicastLine, withCarriageReturns } from '../../../src/domain/session/asciicastLine.js';

describe('asciicast lines', () => {
  it('reads the header, output, input and resize events the proxy writes', () => {
    expect(parseAsciicastLine('{"version":2,"width":100,"height":30,"timestamp":1}')).toEqual({ kind: 'header', width: 100, height: 30 });
    expect(parseAsciicastLine('[0.5, "o", "héllo\\r\\n"]')).toEqual({ kind: 'output', data: 'héllo\r\n' });
    expect(parseAsciicastLine('[0.6, "i", "ls\\r"]')).toEqual({ kind: 'input', data: 'ls\r' });
    expect(parseAsciicastLine('[0.7, "r", "120x40"]')).toEqual({ kind: 'resize', cols: 120, rows: 40 });
  });

  it('calls anything else unreadable rather than guessing', () => {
    for (const line of ['', 'not json', '[0.1, "o"]', '[0.1, "x", "data"]', '[0.1, "r", "wide"]', '{"version":1,"width":80,"height":24}', '{"version":2,"width":0,"height":24}', 'null', '42']) {
      expect(parseAsciicastLine(line), line).toEqual({ kind: 'unreadable' });
    }
  });

  it('adds the CR a terminal would before each bare LF, across chunks', () => {
    expect(withCarriageReturns('a\nb\r\nc\n', false)).toEqual({ data: 'a\r\nb\r\nc\r\n', previousWasCr: false });
    const first = withCarriageReturns('x\r', false);
    expect(first).toEqual({ data: 'x\r', previousWasCr: true });
    expect(withCarriageReturns('\ny', first.previousWasCr)).toEqual({ data: '\ny', previousWasCr: false });
  });
});
