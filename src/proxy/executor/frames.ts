import { encodeField } from './executorScript.js';

/** Longest payload carried on one terminal line: well inside the line discipline's 4095 bytes. */
const CHUNK = 1000;

/**
 * Terminal input that hands the executor one frame: each line starts with the challenge the
 * executor announced (lines without it are discarded as stale input), the last is `<challenge> .`.
 * A Ctrl-U first clears any half-typed line left in the terminal.
 */
export function frameInput(challenge: string, fields: readonly string[]): Buffer {
  const payload = fields.map(encodeField).join(' ');
  let text = '\x15';
  for (let i = 0; i < payload.length; i += CHUNK) text += `${challenge} ${payload.slice(i, i + CHUNK)}\n`;
  text += `${challenge} .\n`;
  return Buffer.from(text, 'latin1');
}

export function runFrame(challenge: string, command: string, opaque: 'block' | 'allow', allowList: readonly string[]): Buffer {
  return frameInput(challenge, ['run', opaque, command, ...allowList]);
}

export function completeFrame(challenge: string, kind: 'c' | 'f' | 'd', prefix: string): Buffer {
  return frameInput(challenge, ['complete', kind, prefix]);
}
