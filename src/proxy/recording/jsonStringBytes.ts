/**
 * JSON string escaping done on UTF-8 bytes, for the recorder's output events: the bytes a
 * device printed go into the recording without being decoded to a string, escaped by
 * JSON.stringify and encoded again (about half the proxy's CPU per MB relayed, by a profile of
 * bulk output). The result is byte for byte what JSON.stringify gives for the decoded text,
 * provided the bytes are valid UTF-8 (the caller checks: `isUtf8`).
 */

/** A JSON string's content is at most this many times longer than the text (`\u001b`). */
export const JSON_ESCAPE_GROWTH = 6;

const ESCAPES: (Uint8Array | undefined)[] = Array.from({ length: 256 }, (_, byte) => {
  if (byte >= 0x80) return undefined;
  const escaped = JSON.stringify(String.fromCharCode(byte)).slice(1, -1);
  return escaped.length > 1 ? Buffer.from(escaped, 'latin1') : undefined;
});
const NEEDS_ESCAPE = Uint8Array.from(ESCAPES, (escape) => (escape === undefined ? 0 : 1));
/** Runs longer than this are copied with one native call; shorter ones byte by byte (cheaper than the call). */
const COPY_RUN = 64;

/**
 * Writes the JSON string content (no quotes) of `source` into `target` at `offset`, and
 * returns the offset after it. `target` must have `JSON_ESCAPE_GROWTH * source.length` bytes
 * free from `offset`.
 */
export function writeJsonStringContent(source: Buffer, target: Buffer, offset: number): number {
  let at = offset;
  let index = 0;
  const length = source.length;
  while (index < length) {
    const start = index;
    while (index < length && NEEDS_ESCAPE[source[index]!] === 0) index++;
    if (index - start > COPY_RUN) at += source.copy(target, at, start, index);
    else for (let copied = start; copied < index; copied++) target[at++] = source[copied]!;
    if (index < length) {
      const escape = ESCAPES[source[index]!]!;
      for (let byte = 0; byte < escape.length; byte++) target[at++] = escape[byte]!;
      index++;
    }
  }
  return at;
}
