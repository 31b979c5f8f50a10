import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeBashQuoted, splitBashQuoted } from '../../../src/proxy/executor/bashQuoted.js';

/**
 * The executor reports directories, run-time refusals and completions with bash's `printf %q`,
 * so that no byte of them can end or fake a marker. What bash writes must read back exactly.
 */
const SAMPLES = ['/srv/app', 'a b', "it's", 'tab\there', 'new\nline', 'esc\x1b[31mred', 'bel\x07', '$HOME `id` "q"', 'é ü 中文', '~user', '*?[a]', ';&|<>()', '', '\\back\\slash', '-dash', "'", 'ends with space '];

function bashQuote(words: readonly string[]): string {
  return execFileSync('bash', ['--norc', '--noprofile', '-c', 'printf "%q " "$@"', 'quote', ...words], { encoding: 'utf8' });
}

describe("bash's %q", () => {
  it.each(SAMPLES.filter((s) => s !== '').map((s) => [s]))('reads back %j', (sample) => {
    expect(decodeBashQuoted(bashQuote([sample]).slice(0, -1))).toBe(sample); // printf's separator space
  });

  it('splits a list of quoted words back into the words', () => {
    const words = SAMPLES.filter((s) => s !== '');
    expect(splitBashQuoted(bashQuote(words))).toEqual(words);
  });
});
