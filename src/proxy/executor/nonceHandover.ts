import { NONCE_REQUEST } from './executorScript.js';

const REQUEST = Buffer.from(NONCE_REQUEST, 'latin1');

export interface HandoverScan {
  /** Output from before the request (bash's own complaint about its version): shown as it is. */
  readonly output: Buffer;
  /** The bytes to write to the executor's input, once: the nonce and a newline. */
  readonly answer: Buffer | undefined;
  /** What follows the request in the chunk, for the marker scanner (empty until the handover). */
  readonly rest: Buffer;
}

/**
 * The proxy's side of the nonce handover (executorScript.ts, `nonceHandover`): waits for the
 * executor's request at the start of its output, cuts it out and answers it with the nonce,
 * once. The nonce thus never appears in the command line the device's sshd runs, nor in its
 * environment, where /proc would show it to any process on the device. After the handover
 * (or for a request printed later by anything else) output goes to the marker scanner as it is.
 */
export class NonceHandover {
  private held: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(private readonly nonce: string) {}

  /** What is held back, for when the stream ends. */
  flush(): Buffer {
    const held = this.held;
    this.held = Buffer.alloc(0);
    return held;
  }

  scan(chunk: Buffer): HandoverScan {
    if (this.done) return { output: Buffer.alloc(0), answer: undefined, rest: chunk };
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    const at = data.indexOf(REQUEST);
    if (at >= 0) {
      this.done = true;
      return { output: data.subarray(0, at), answer: Buffer.from(`${this.nonce}\n`, 'latin1'), rest: data.subarray(at + REQUEST.length) };
    }
    // A chunk ending in the request's first bytes keeps them back until the next.
    const keep = partialRequestAt(data);
    this.held = Buffer.from(data.subarray(keep));
    return { output: data.subarray(0, keep), answer: undefined, rest: Buffer.alloc(0) };
  }
}

/** Index from which `data` ends with a proper prefix of the request (or data.length). */
function partialRequestAt(data: Buffer): number {
  for (let i = Math.max(0, data.length - REQUEST.length + 1); i < data.length; i++) {
    if (REQUEST.subarray(0, data.length - i).equals(data.subarray(i))) return i;
  }
  return data.length;
}
