import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_ESCAPE_GROWTH, writeJsonStringContent } from '../../../src/proxy/recording/jsonStringBytes.js';
import { completeUtf8Length } from '../../../src/proxy/recording/utf8Boundary.js';

function escaped(text: string): string {
  const source = Buffer.from(text, 'utf8');
  const target = Buffer.alloc(JSON_ESCAPE_GROWTH * source.length);
  return target.toString('utf8', 0, writeJsonStringContent(source, target, 0));
}

describe('JSON string content from UTF-8 bytes', () => {
  it('escapes every ASCII character as JSON.stringify does', () => {
    for (let code = 0; code < 0x80; code++) {
      const char = String.fromCharCode(code);
      expect(escaped(char), `U+${code.toString(16)}`).toBe(JSON.stringify(char).slice(1, -1));
    }
  });

  it('passes multi-byte characters, DEL and U+2028 through, and long runs as well as short ones', () => {
    const text = `é✓𝄞\u2028\u007f${'x'.repeat(1000)}"${'y'.repeat(10)}\\\x1b[0m`;
    expect(escaped(text)).toBe(JSON.stringify(text).slice(1, -1));
  });

  it('matches JSON.stringify wherever the text sits in memory, whatever it holds', () => {
    // The scan reads whole 4-byte words of the source's memory: the property covers every
    // alignment of the text, and characters to escape in every position of a word.
    const character = fc.oneof(
      fc.constantFrom('x', 'a', ' ', '"', '\\', '\n', '\r', '\x1b', '\x00', '\x1f', '\x7f', 'é', '✓', '𝄞', '\u2028'),
      fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code)),
    );
    const text = fc.oneof(
      fc.array(character, { maxLength: 80 }).map((chars) => chars.join('')),
      // Long plain runs with the odd character to escape: the words path and the native copy.
      fc.tuple(fc.integer({ min: 0, max: 300 }), character, fc.integer({ min: 0, max: 300 })).map(([before, char, after]) => `${'y'.repeat(before)}${char}${'z'.repeat(after)}`),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 7 }), (value, shift) => {
        const bytes = Buffer.from(value, 'utf8');
        const memory = Buffer.alloc(bytes.length + 8, 0x22); // quotes around it: read past the end, they would show
        bytes.copy(memory, shift);
        const source = memory.subarray(shift, shift + bytes.length);
        const target = Buffer.alloc(JSON_ESCAPE_GROWTH * source.length);
        const written = target.toString('utf8', 0, writeJsonStringContent(source, target, 0));
        expect(written).toBe(JSON.stringify(value).slice(1, -1));
      }),
      { numRuns: 3000 },
    );
  });

  it('writes at the offset it is given and returns where it stopped', () => {
    const target = Buffer.alloc(32, '.');
    const end = writeJsonStringContent(Buffer.from('a\n'), target, 3);
    expect(end).toBe(6);
    expect(target.toString('latin1', 0, 8)).toBe('...a\\n..');
  });
});

describe('the complete part of a UTF-8 chunk', () => {
  it('leaves out a character cut at the end, and only that', () => {
    const check = Buffer.from('a✓𝄞é', 'utf8'); // 1 + 3 + 4 + 2 bytes
    expect(completeUtf8Length(check)).toBe(10);
    expect(completeUtf8Length(check.subarray(0, 9))).toBe(8); // é cut after its lead byte
    expect(completeUtf8Length(check.subarray(0, 7))).toBe(4); // 𝄞 cut after 3 of 4 bytes
    expect(completeUtf8Length(check.subarray(0, 5))).toBe(4); // 𝄞 cut after its lead byte
    expect(completeUtf8Length(check.subarray(0, 3))).toBe(1); // ✓ cut after 2 of 3 bytes
    expect(completeUtf8Length(Buffer.alloc(0))).toBe(0);
  });

  it('counts stray bytes as complete: they are not UTF-8 whatever follows', () => {
    expect(completeUtf8Length(Buffer.from([0x41, 0x80, 0x80, 0x80]))).toBe(4);
    expect(completeUtf8Length(Buffer.from([0x41, 0x9c]))).toBe(2);
  });
});
