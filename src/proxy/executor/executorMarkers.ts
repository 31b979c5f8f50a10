import { MARKER_OSC } from './executorScript.js';
import { decodeBashQuoted, splitBashQuoted } from './bashQuoted.js';

/** What the executor tells the proxy, in OSC sequences the proxy removes from the output. */
export type ExecutorEvent =
  /** Waiting for a frame: the last command's status, the shell's effective uid and directory. */
  | { readonly type: 'ready'; readonly challenge: string; readonly status: number; readonly euid: number; readonly cwd: string }
  /** The DEBUG trap met a command the judged line did not contain (refused unless opaque is allowed). */
  | { readonly type: 'unjudged'; readonly text: string }
  /** Answers a completion frame. */
  | { readonly type: 'completions'; readonly items: readonly string[] }
  /** A marker with the session's nonce that makes no sense: printed by something else. */
  | { readonly type: 'malformed'; readonly body: string };

export interface ScanResult {
  /** What to show the user and record, markers removed. */
  readonly output: Buffer;
  readonly events: readonly ExecutorEvent[];
}

const ESC = 0x1b;
const BEL = 0x07;
/** A marker longer than this is not one: its bytes are shown as they are. */
const MAX_MARKER = 1 << 20;

/**
 * Finds the executor's markers in the device's output and cuts them out, across chunk
 * boundaries: a chunk ending in the first bytes of a marker keeps them back until the next.
 * Output without an ESC byte is passed through untouched (the bulk-output fast path).
 */
export class ExecutorMarkers {
  private readonly start: Buffer;
  private held: Buffer = Buffer.alloc(0);

  constructor(nonce: string) {
    this.start = Buffer.from(`\x1b]${MARKER_OSC};${nonce};`, 'latin1');
  }

  scan(chunk: Buffer): ScanResult {
    let data = chunk;
    if (this.held.length > 0) {
      data = Buffer.concat([this.held, chunk]);
      this.held = Buffer.alloc(0);
    } else if (chunk.indexOf(ESC) < 0) {
      return { output: chunk, events: [] };
    }
    const parts: Buffer[] = [];
    const events: ExecutorEvent[] = [];
    let from = 0;
    for (;;) {
      const at = data.indexOf(this.start, from);
      if (at < 0) {
        const keep = partialStart(data, Math.max(from, data.length - this.start.length + 1), this.start);
        parts.push(data.subarray(from, keep));
        if (keep < data.length) this.held = Buffer.from(data.subarray(keep));
        break;
      }
      const end = data.indexOf(BEL, at + this.start.length);
      if (end < 0) {
        parts.push(data.subarray(from, at));
        if (data.length - at > MAX_MARKER) parts.push(data.subarray(at));
        else this.held = Buffer.from(data.subarray(at));
        break;
      }
      parts.push(data.subarray(from, at));
      events.push(parseMarker(data.subarray(at + this.start.length, end).toString('utf8')));
      from = end + 1;
    }
    return { output: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts), events };
  }

  /** What is held back, for when the stream ends. */
  flush(): Buffer {
    const held = this.held;
    this.held = Buffer.alloc(0);
    return held;
  }
}

/** Index from which `data` ends with a proper prefix of `start` (or data.length). */
function partialStart(data: Buffer, from: number, start: Buffer): number {
  for (let i = Math.max(0, from); i < data.length; i++) {
    if (data[i] !== ESC) continue;
    const tail = data.subarray(i);
    if (start.subarray(0, tail.length).equals(tail)) return i;
  }
  return data.length;
}

function parseMarker(body: string): ExecutorEvent {
  const fields = body.split(';');
  switch (fields[0]) {
    case 'ready': {
      const [, challenge = '', status = '', euid = '', ...cwd] = fields;
      if (!/^[0-9a-f]{8,}$/.test(challenge) || !/^\d+$/.test(status) || !/^\d+$/.test(euid)) return { type: 'malformed', body };
      return { type: 'ready', challenge, status: Number(status), euid: Number(euid), cwd: decodeBashQuoted(cwd.join(';')) };
    }
    case 'unjudged':
      return { type: 'unjudged', text: decodeBashQuoted(fields.slice(1).join(';')) };
    case 'completions':
      return { type: 'completions', items: splitBashQuoted(fields.slice(1).join(';')) };
    default:
      return { type: 'malformed', body };
  }
}
