/**
 * JSON string content for the recorder's output events, from the UTF-8 bytes a device
 * printed. The result is byte for byte what JSON.stringify gives for the decoded text,
 * provided the bytes are valid UTF-8 (the caller checks: `isUtf8`).
 *
 * Two costs decide how (`npm run bench -- "session recording"`): output with nothing to
 * escape (bulk data, long lines) is found so four bytes at a time and copied natively, without
 * decoding it (recorder: 1.1 ms per MB, against 2.5 for decoding and JSON.stringify alone);
 * from the first byte to escape on, V8's JSON.stringify (C++) escapes the rest, read as latin1
 * (recorder: 2.8 ms per MB on a coloured listing; a byte loop in JavaScript took 4.6-5.0).
 */

/** A JSON string's content is at most this many times longer than the text (`\u001b`). */
export const JSON_ESCAPE_GROWTH = 6;

/** 1 for the bytes JSON escapes in a string: controls, the quote and the backslash. */
const NEEDS_ESCAPE = Uint8Array.from({ length: 256 }, (_, byte) => (byte < 0x20 || byte === 0x22 || byte === 0x5c ? 1 : 0));
const NO_WORDS = new Int32Array(0);

/**
 * Writes the JSON string content (no quotes) of `source` into `target` at `offset`, and
 * returns the offset after it. `target` must have `JSON_ESCAPE_GROWTH * source.length` bytes
 * free from `offset`.
 */
export function writeJsonStringContent(source: Buffer, target: Buffer, offset: number): number {
  const plain = plainPrefixLength(source);
  let at = offset + source.copy(target, offset, 0, plain);
  if (plain === source.length) return at;
  // Read as latin1, one character per byte: JSON.stringify escapes only characters below
  // U+0080 (controls, quote, backslash), so the bytes of UTF-8 sequences come back as they
  // were, without decoding and encoding them.
  const json = JSON.stringify(source.toString('latin1', plain));
  at += target.write(json.slice(1, -1), at, 'latin1');
  return at;
}

/**
 * How many bytes at the start of `source` JSON leaves as they are. The bulk of it tests the
 * source's whole 4-byte words (typed arrays must be aligned: the bytes before the first
 * boundary and after the last are tested one by one).
 */
function plainPrefixLength(source: Buffer): number {
  const length = source.length;
  const head = Math.min(length, (4 - (source.byteOffset & 3)) & 3);
  for (let index = 0; index < head; index++) if (NEEDS_ESCAPE[source[index]!] === 1) return index;
  const words = length - head >= 4 ? new Int32Array(source.buffer, source.byteOffset + head, (length - head) >>> 2) : NO_WORDS;
  let word = 0;
  while (word < words.length && !mayNeedEscape(words[word]!)) word++;
  for (let index = head + (word << 2); index < length; index++) if (NEEDS_ESCAPE[source[index]!] === 1) return index;
  return length;
}

/**
 * Whether one of a word's four bytes is below 0x20, a quote or a backslash, by the "has a
 * byte less than n" and "has a zero byte" bit tricks (Sean Anderson's Bit Twiddling Hacks):
 * exact about whether any byte matches, whatever the byte order; bytes of 0x80 and above
 * (UTF-8 sequences, left as they are) never match on their own.
 */
function mayNeedEscape(word: number): boolean {
  const quote = word ^ 0x22222222;
  const backslash = word ^ 0x5c5c5c5c;
  return ((((word - 0x20202020) & ~word) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) !== 0;
}
