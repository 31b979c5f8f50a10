import { describe, expect, it } from 'vitest';
import { ProgramLine, PromptKeys } from '../../../src/proxy/capture/inputKeys.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('prompt keys', () => {
  it('finds Enter, Ctrl-J and Ctrl-O, the keys that make readline run the line', () => {
    expect(new PromptKeys().scan(bytes('ls -la\r'))).toEqual({ index: 6, kind: 'submit' });
    expect(new PromptKeys().scan(bytes('ls\n'))).toEqual({ index: 2, kind: 'submit' });
    expect(new PromptKeys().scan(bytes('ls\x0f'))).toEqual({ index: 2, kind: 'submit' });
    expect(new PromptKeys().scan(bytes('ls \x1b[A\x1b[D'))).toBeNull();
  });

  it('treats newlines inside a bracketed paste as text, even when the paste is split', () => {
    const keys = new PromptKeys();
    expect(keys.scan(bytes('\x1b[200~touch a\r'))).toBeNull();
    expect(keys.scan(bytes('touch b\x1b[20'))).toBeNull();
    expect(keys.scan(bytes('1~\r'))).toEqual({ index: 2, kind: 'submit' });
  });

  it('spots Ctrl-X Ctrl-E, across chunks too', () => {
    const keys = new PromptKeys();
    expect(keys.scan(bytes('ls\x18'))).toBeNull();
    expect(keys.scan(bytes('\x05\r'))).toEqual({ index: 0, kind: 'editAndExecute' });
    expect(new PromptKeys().scan(bytes('\x05'))).toBeNull();
  });
});

describe('control characters typed into a prompt line', () => {
  it('are flagged when inserted literally with Ctrl-V, whose next byte never submits', () => {
    const keys = new PromptKeys();
    expect(keys.scan(bytes('echo a\x16\nrm -rf /'))).toBeNull();
    expect(keys.typedLiteralControl).toBe(true);
    expect(keys.scan(bytes('\r'))).toEqual({ index: 0, kind: 'submit' });
    keys.reset();
    expect(keys.typedLiteralControl).toBe(false);
  });

  it('are not flagged for a quoted tab or printable character, nor for editing keys', () => {
    const keys = new PromptKeys();
    expect(keys.scan(bytes('sed "s/\x16\t/,/" \x16a \x01\x05\x1b[D\x7f'))).toBeNull();
    expect(keys.typedLiteralControl).toBe(false);
  });

  it('are flagged for C1 controls (U+0080-U+009F), which readline echoes raw, even split across chunks', () => {
    const keys = new PromptKeys();
    expect(keys.scan(Buffer.concat([bytes('rm -rf / #'), Buffer.from([0xc2])]))).toBeNull();
    expect(keys.typedLiteralControl).toBe(false);
    expect(keys.scan(Buffer.from([0x9b, 0x31, 0x30, 0x44]))).toBeNull();
    expect(keys.typedLiteralControl).toBe(true);
    const latin = new PromptKeys();
    latin.scan(bytes('café déjà ü'));
    expect(latin.typedLiteralControl).toBe(false);
  });
});

describe('a line typed into a running program', () => {
  it('is rebuilt with the line discipline\'s editing keys', () => {
    const line = new ProgramLine();
    expect(line.scan(bytes('rm -rf /tmpx\x7f'))).toBe(-1);
    expect(line.scan(bytes('/a \x17b\x1b[Dc\r'))).toBe(9);
    // Ctrl-W erased the word "/tmp/a "; the arrow key is skipped.
    expect(line.take()).toBe('rm -rf bc');
    expect(line.scan(bytes('junk\x15yes\r'))).toBe(8);
    expect(line.take()).toBe('yes');
  });

  it('keeps multi-byte characters split across chunks', () => {
    const line = new ProgramLine();
    const text = bytes('héllo\r');
    line.scan(text.subarray(0, 2));
    expect(line.scan(text.subarray(2))).toBe(4);
    expect(line.take()).toBe('héllo');
  });
});
