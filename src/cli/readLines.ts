import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Lines of a stream, CRLF-tolerant, without holding the whole input. */
export function readLines(input: Readable): AsyncIterable<string> {
  return createInterface({ input, crlfDelay: Infinity, terminal: false });
}
