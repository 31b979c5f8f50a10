/**
 * Finds, in the upstream output, the few things the proxy must know about without running a
 * terminal emulator: changeguard's shell-integration markers (OSC 133 carrying this
 * session's nonce) and switches to and from the alternate screen. It runs on every output
 * chunk, so it only looks at ESC bytes (Buffer.indexOf) and never copies a chunk, except
 * to carry a sequence cut across two chunks.
 */

export type ShellMarker =
  /** Prompt start (PS1, or PS2 when `continuation`). */
  | { readonly kind: 'A'; readonly continuation: boolean }
  /** Prompt end: the command line is typed from here. */
  | { readonly kind: 'B'; readonly continuation: boolean }
  /** The shell accepted a line and is about to run it (PS0). */
  | { readonly kind: 'C' }
  /** The last command finished with this status (PROMPT_COMMAND). */
  | { readonly kind: 'D'; readonly status: number | undefined };

export type OutputEvent =
  | { readonly type: 'marker'; readonly marker: ShellMarker; /** Offset in the chunk just after the sequence. */ readonly end: number }
  | { readonly type: 'screen'; readonly alternate: boolean; readonly end: number };

const ESC = 0x1b;
const BEL = 0x07;
/** Longer sequences are not ours: give up carrying them. */
const MAX_SEQUENCE = 256;
const OSC_PREFIX = Buffer.from(']133;', 'latin1');
const ALTERNATE_SCREEN_MODES = new Set(['1049', '1047', '47']);

type Parse = { readonly length: number; readonly event?: OutputEvent | undefined } | 'incomplete' | 'none';

export class OutputScanner {
  private carry: Buffer | null = null;

  constructor(private readonly nonce: string) {}

  scan(chunk: Buffer): OutputEvent[] {
    const events: OutputEvent[] = [];
    let pos = 0;
    if (this.carry) {
      const carried = this.carry;
      this.carry = null;
      const joined = Buffer.concat([carried, chunk.subarray(0, MAX_SEQUENCE)]);
      const parsed = this.parseAt(joined, 0);
      if (parsed === 'incomplete') {
        if (chunk.length < MAX_SEQUENCE && joined.length < MAX_SEQUENCE) {
          this.carry = joined;
          return events;
        }
      } else if (parsed !== 'none') {
        pos = parsed.length - carried.length;
        if (parsed.event) events.push({ ...parsed.event, end: pos });
      }
    }
    for (;;) {
      const at = chunk.indexOf(ESC, pos);
      if (at < 0) break;
      const parsed = this.parseAt(chunk, at);
      if (parsed === 'incomplete') {
        this.carry = Buffer.from(chunk.subarray(at));
        break;
      }
      if (parsed === 'none') {
        pos = at + 1;
        continue;
      }
      pos = at + parsed.length;
      if (parsed.event) events.push({ ...parsed.event, end: pos });
    }
    return events;
  }

  /** `buf[at]` is ESC. Offsets in the returned event are filled in by the caller. */
  private parseAt(buf: Buffer, at: number): Parse {
    if (at + 1 >= buf.length) return 'incomplete';
    const next = buf[at + 1];
    if (next === 0x5d /* ] */) return this.parseOsc(buf, at);
    if (next === 0x5b /* [ */) return parsePrivateMode(buf, at);
    return 'none';
  }

  private parseOsc(buf: Buffer, at: number): Parse {
    const available = Math.min(OSC_PREFIX.length, buf.length - at - 1);
    if (buf.compare(OSC_PREFIX, 0, available, at + 1, at + 1 + available) !== 0) return 'none';
    if (available < OSC_PREFIX.length) return 'incomplete';
    const bodyStart = at + 1 + OSC_PREFIX.length;
    const limit = Math.min(buf.length, at + MAX_SEQUENCE);
    const end = buf.indexOf(BEL, bodyStart);
    if (end < 0 || end >= limit) return buf.length - at < MAX_SEQUENCE ? 'incomplete' : 'none';
    const marker = parseMarker(buf.toString('latin1', bodyStart, end), this.nonce);
    return { length: end + 1 - at, event: marker ? { type: 'marker', marker, end: 0 } : undefined };
  }
}

/** `kind;param;...;cg=<nonce>`: markers without this session's nonce are someone else's. */
export function parseMarker(body: string, nonce: string): ShellMarker | null {
  const [kind, ...params] = body.split(';');
  if (!params.includes(`cg=${nonce}`)) return null;
  const continuation = params.includes('k=2');
  switch (kind) {
    case 'A':
      return { kind: 'A', continuation };
    case 'B':
      return { kind: 'B', continuation };
    case 'C':
      return { kind: 'C' };
    case 'D': {
      const status = params[0] !== undefined && /^\d{1,3}$/.test(params[0]) ? Number(params[0]) : undefined;
      return { kind: 'D', status };
    }
    default:
      return null;
  }
}

/** `ESC [ ? Pm h|l`: reports alternate-screen switches, skips other private modes. */
function parsePrivateMode(buf: Buffer, at: number): Parse {
  if (at + 2 >= buf.length) return 'incomplete';
  if (buf[at + 2] !== 0x3f /* ? */) return 'none';
  let i = at + 3;
  while (i < buf.length && i - at < 32) {
    const byte = buf[i]!;
    if ((byte >= 0x30 && byte <= 0x39) || byte === 0x3b) {
      i++;
      continue;
    }
    if (byte !== 0x68 /* h */ && byte !== 0x6c /* l */) return { length: i + 1 - at };
    const modes = buf.toString('latin1', at + 3, i).split(';');
    if (!modes.some((mode) => ALTERNATE_SCREEN_MODES.has(mode))) return { length: i + 1 - at };
    return { length: i + 1 - at, event: { type: 'screen', alternate: byte === 0x68, end: 0 } };
  }
  return i >= buf.length && i - at < 32 ? 'incomplete' : 'none';
}
