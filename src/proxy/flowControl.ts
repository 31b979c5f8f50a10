import type { Readable, Writable } from 'node:stream';

/**
 * Writes `data` to `target`; when the target's buffer is full (an SSH window exhausted on
 * the other side), pauses `source` until the target drains. With this on both directions a
 * slow side slows the fast one down instead of filling the proxy's memory.
 */
export function writeWithBackpressure(target: Writable, source: Readable, data: Buffer): void {
  if (target.write(data) || source.isPaused()) return;
  source.pause();
  target.once('drain', () => source.resume());
}
