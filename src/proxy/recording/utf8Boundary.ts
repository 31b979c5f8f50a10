/**
 * How many bytes of `bytes` end on a character boundary: a multi-byte UTF-8 character cut at
 * the end of a chunk (its lead byte without all its continuation bytes) is left out, to be
 * joined with the next chunk. Only looks at the last three bytes; whether the rest is valid
 * UTF-8 is another question (`isUtf8`).
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const length = bytes.length;
  for (let index = length - 1; index >= 0 && index >= length - 3; index--) {
    const byte = bytes[index]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    if (byte < 0xc0) return length; // ASCII (or a stray byte no following one can complete)
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return index + needed > length ? index : length;
  }
  return length;
}
