import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { RecordingWriter } from '../../store/recordingStore.js';

export interface AsciicastHeader {
  readonly width: number;
  readonly height: number;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly title?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
}

/** Flushed at least this often, so a crash loses at most this much of a session. */
export const RECORDING_FLUSH_MS = 1000;
/** A burst of output is flushed early rather than held in memory. */
const FLUSH_BYTES = 1 << 20;
/** Output chunks closer together than this become one event: far fewer, larger encodes. */
const COALESCE_MS = 10;

/**
 * Records a session as asciicast v2 (header line, then `[time, "o"|"i"|"r", data]` lines),
 * appended to the store every second. Output, the bulk of it, is kept as the raw chunks that
 * passed and decoded and encoded once per burst, not once per chunk on the relay path.
 */
export class AsciicastRecorder {
  private readonly started = performance.now();
  private events: string[] = [];
  private bufferedChars = 0;
  private pendingOutput: Buffer[] = [];
  private pendingOutputBytes = 0;
  private pendingOutputAt = 0;
  private readonly outputDecoder = new StringDecoder('utf8');
  private readonly inputDecoder = new StringDecoder('utf8');
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly writer: RecordingWriter,
    header: AsciicastHeader,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.events.push(JSON.stringify({ version: 2, ...header }));
    this.timer = setInterval(() => void this.flush(), RECORDING_FLUSH_MS);
    this.timer.unref();
  }

  get ref(): string {
    return this.writer.ref;
  }

  output(data: Buffer): void {
    if (this.closed) return;
    const now = performance.now();
    if (this.pendingOutput.length > 0 && now - this.pendingOutputAt > COALESCE_MS) this.commitOutput();
    if (this.pendingOutput.length === 0) this.pendingOutputAt = now;
    this.pendingOutput.push(data);
    this.pendingOutputBytes += data.length;
    if (this.bufferedChars + this.pendingOutputBytes >= FLUSH_BYTES) void this.flush();
  }

  input(data: Buffer): void {
    this.commitOutput();
    this.push('i', this.inputDecoder.write(data));
  }

  /** changeguard's own text shown to the user. */
  notice(text: string): void {
    this.commitOutput();
    this.push('o', text);
  }

  resize(cols: number, rows: number): void {
    this.commitOutput();
    this.push('r', `${cols}x${rows}`);
  }

  /** Writes what is buffered; resolves when it is stored. */
  flush(): Promise<void> {
    this.commitOutput();
    if (this.events.length === 0) return this.flushing;
    const text = `${this.events.join('\n')}\n`;
    this.events = [];
    this.bufferedChars = 0;
    this.flushing = this.flushing.then(() => this.writer.append(text)).catch((error: unknown) => this.onError(error));
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commitOutput();
    this.push('o', this.outputDecoder.end());
    this.push('i', this.inputDecoder.end());
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.writer.close().catch((error: unknown) => this.onError(error));
  }

  private commitOutput(): void {
    if (this.pendingOutput.length === 0) return;
    const chunks = this.pendingOutput;
    this.pendingOutput = [];
    this.pendingOutputBytes = 0;
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    this.push('o', this.outputDecoder.write(data), this.pendingOutputAt);
  }

  private push(kind: 'o' | 'i' | 'r', data: string, at: number = performance.now()): void {
    if (this.closed || data === '') return;
    const seconds = Math.round(at - this.started) / 1000;
    this.events.push(`[${seconds}, "${kind}", ${JSON.stringify(data)}]`);
    this.bufferedChars += data.length;
    if (this.bufferedChars >= FLUSH_BYTES) void this.flush();
  }
}
