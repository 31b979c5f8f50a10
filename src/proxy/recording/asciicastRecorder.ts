import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { RecordingWriter } from '../../store/recordingStore.js';
import { JSON_ESCAPE_GROWTH, writeJsonStringContent } from './jsonStringBytes.js';
import { completeUtf8Length } from './utf8Boundary.js';

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
const INITIAL_BUFFER_BYTES = 64 * 1024;
/** Output is escaped this much at a time (a piece's worst case is reserved before it). */
const ENCODE_PIECE_BYTES = 64 * 1024;
const NO_BYTES = Buffer.alloc(0);

/**
 * Records a session as asciicast v2 (header line, then `[time, "o"|"i"|"r", data]` lines),
 * appended to the store every second. Output, the bulk of it, is kept as the raw chunks that
 * passed and encoded once per burst, not once per chunk on the relay path; and it is encoded
 * as bytes (jsonStringBytes): valid UTF-8 goes from the device's bytes to the recording's
 * without a string in between. Lines are built in one reused buffer.
 */
export class AsciicastRecorder {
  private readonly started = performance.now();
  /** Encoded lines not yet handed to the writer: `lines[0, linesLength)`. */
  private lines: Buffer = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  private linesLength = 0;
  /** A lines buffer whose write completed, for the next flush to switch to. */
  private spare: Buffer | undefined;
  private pendingOutput: Buffer[] = [];
  private pendingOutputBytes = 0;
  private pendingOutputAt = 0;
  /** The start of a UTF-8 character whose remaining bytes have not arrived yet. */
  private outputCarry: Buffer = NO_BYTES;
  private readonly inputDecoder = new StringDecoder('utf8');
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly writer: RecordingWriter,
    header: AsciicastHeader,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.appendLine(JSON.stringify({ version: 2, ...header }));
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
    if (this.linesLength + this.pendingOutputBytes >= FLUSH_BYTES) void this.flush();
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
    if (this.linesLength === 0) return this.flushing;
    // The writer holds the buffer until its write completes; lines go on in the spare meanwhile.
    const full = this.lines;
    const data = full.subarray(0, this.linesLength);
    // A buffer grown by a burst is let go once output is quiet again (a small flush).
    const keep = full.length === INITIAL_BUFFER_BYTES || this.linesLength >= full.length / 8;
    this.lines = this.spare ?? Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
    this.spare = undefined;
    this.linesLength = 0;
    this.flushing = this.flushing
      .then(() => this.writer.append(data))
      .then(() => {
        if (keep && this.spare === undefined) this.spare = full;
      })
      .catch((error: unknown) => this.onError(error));
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commitOutput();
    // A character still cut at the end of the session is recorded as the decoder shows it (U+FFFD).
    if (this.outputCarry.length > 0) this.push('o', this.outputCarry.toString('utf8'));
    this.outputCarry = NO_BYTES;
    this.push('i', this.inputDecoder.end());
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.writer.close().catch((error: unknown) => this.onError(error));
  }

  private commitOutput(): void {
    if (this.pendingOutput.length === 0) return;
    const chunks = this.pendingOutput;
    const at = this.pendingOutputAt;
    this.pendingOutput = [];
    this.pendingOutputBytes = 0;
    const prefix = `[${this.seconds(at)}, "o", "`;
    const start = this.linesLength;
    this.reserve(prefix.length);
    this.linesLength += this.lines.write(prefix, this.linesLength, 'latin1');
    const contentStart = this.linesLength;
    for (const chunk of chunks) this.appendOutputChunk(chunk);
    if (this.linesLength === contentStart) {
      // Nothing but the start of a character that has not arrived whole: no event yet.
      this.linesLength = start;
      return;
    }
    this.reserve(3);
    this.linesLength += this.lines.write('"]\n', this.linesLength, 'latin1');
    if (this.linesLength >= FLUSH_BYTES) void this.flush();
  }

  /** One chunk of output as JSON string content, chunk by chunk (no joined copy of the burst). */
  private appendOutputChunk(chunk: Buffer): void {
    const data = this.outputCarry.length > 0 ? Buffer.concat([this.outputCarry, chunk]) : chunk;
    const complete = completeUtf8Length(data);
    // Copied: a carried slice would keep the whole chunk's memory alive.
    this.outputCarry = complete === data.length ? NO_BYTES : Buffer.from(data.subarray(complete));
    const text = complete === data.length ? data : data.subarray(0, complete);
    if (text.length === 0) return;
    if (!isUtf8(text)) {
      // Not UTF-8 (a binary file cat'ed): decoded with replacement characters, as a terminal shows it.
      this.appendText(JSON.stringify(text.toString('utf8')).slice(1, -1));
      return;
    }
    // In pieces, so the buffer grows with what is written rather than with the worst-case escape.
    for (let start = 0; start < text.length; start += ENCODE_PIECE_BYTES) {
      const piece = start === 0 && text.length <= ENCODE_PIECE_BYTES ? text : text.subarray(start, start + ENCODE_PIECE_BYTES);
      this.reserve(JSON_ESCAPE_GROWTH * piece.length);
      this.linesLength = writeJsonStringContent(piece, this.lines, this.linesLength);
    }
  }

  private push(kind: 'o' | 'i' | 'r', data: string, at: number = performance.now()): void {
    if (this.closed || data === '') return;
    this.appendLine(`[${this.seconds(at)}, "${kind}", ${JSON.stringify(data)}]`);
    if (this.linesLength >= FLUSH_BYTES) void this.flush();
  }

  private seconds(at: number): number {
    return Math.round(at - this.started) / 1000;
  }

  private appendLine(line: string): void {
    this.appendText(line);
    this.reserve(1);
    this.lines[this.linesLength++] = 0x0a;
  }

  private appendText(text: string): void {
    this.reserve(Buffer.byteLength(text));
    this.linesLength += this.lines.write(text, this.linesLength, 'utf8');
  }

  private reserve(bytes: number): void {
    const needed = this.linesLength + bytes;
    if (needed <= this.lines.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.lines.length * 2));
    this.lines.copy(grown, 0, 0, this.linesLength);
    this.lines = grown;
  }
}
