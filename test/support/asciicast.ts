import type { Readable } from 'node:stream';

export interface AsciicastEvent {
  readonly time: number;
  readonly kind: 'o' | 'i' | 'r';
  readonly data: string;
}

export interface ParsedAsciicast {
  readonly header: { readonly version: number; readonly width: number; readonly height: number } & Record<string, unknown>;
  readonly events: readonly AsciicastEvent[];
  /** Output as shown, concatenated. */
  readonly output: string;
  /** A last line cut short (a crash mid-write), reported rather than parsed. */
  readonly truncatedTail: string | undefined;
}

/**
 * Parses an asciicast v2 recording strictly: a header object with version 2, then one
 * `[time, "o"|"i"|"r", data]` array per line with non-decreasing times. Only the very last
 * line may be incomplete (a process killed mid-append); anything else malformed throws,
 * naming the line.
 */
export function parseAsciicast(text: string): ParsedAsciicast {
  const lines = text.split('\n');
  const endsClean = lines.at(-1) === '';
  if (endsClean) lines.pop();
  const truncatedTail = endsClean ? undefined : lines.pop();
  const [first, ...rest] = lines;
  if (first === undefined) throw new Error('the recording is empty');
  const header = JSON.parse(first) as ParsedAsciicast['header'];
  if (header.version !== 2 || typeof header.width !== 'number' || typeof header.height !== 'number') {
    throw new Error(`line 1: not an asciicast v2 header: ${first.slice(0, 200)}`);
  }
  const events: AsciicastEvent[] = [];
  let last = 0;
  rest.forEach((line, index) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`line ${index + 2}: not JSON (${(error as Error).message}): ${line.slice(0, 200)}`);
    }
    if (!Array.isArray(value) || value.length !== 3 || typeof value[0] !== 'number' || !['o', 'i', 'r'].includes(value[1] as string) || typeof value[2] !== 'string') {
      throw new Error(`line ${index + 2}: not an asciicast v2 event: ${line.slice(0, 200)}`);
    }
    if (value[0] < last) throw new Error(`line ${index + 2}: time ${value[0]} goes back from ${last}`);
    last = value[0];
    events.push({ time: value[0], kind: value[1] as AsciicastEvent['kind'], data: value[2] });
  });
  return { header, events, output: events.filter((e) => e.kind === 'o').map((e) => e.data).join(''), truncatedTail };
}

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}
