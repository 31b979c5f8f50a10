import { createReadStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { assertRecordingId, positionNumber, type RecordingPiece, type RecordingPosition, type RecordingStore, type RecordingWriter } from '../recordingStore.js';
import { DuplicateKeyError } from '../storeErrors.js';

/** How much a follower reads at a time (more only to reach the end of a longer line). */
const READ_BYTES = 1 << 20;
const LF = 0x0a;

/** The embedded default: one `<session id>.cast` file per session under a directory. */
export class FileRecordingStore implements RecordingStore {
  constructor(private readonly directory: string) {}

  async create(sessionId: string): Promise<RecordingWriter> {
    assertRecordingId(sessionId);
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    let handle: FileHandle;
    try {
      // 'wx': a second writer for the same session fails instead of interleaving.
      handle = await open(this.file(sessionId), 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new DuplicateKeyError('recording', sessionId);
      throw error;
    }
    return new FileRecordingWriter(`file:${sessionId}.cast`, handle);
  }

  async open(sessionId: string): Promise<Readable | null> {
    assertRecordingId(sessionId);
    const file = this.file(sessionId);
    try {
      await stat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return createReadStream(file);
  }

  async readAfter(sessionId: string, position: RecordingPosition | undefined): Promise<RecordingPiece | null> {
    assertRecordingId(sessionId);
    const start = positionNumber(position);
    let handle: FileHandle;
    try {
      handle = await open(this.file(sessionId), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      // Whole lines only: a write may be caught half done (and a UTF-8 character with it), and
      // every append the recorder makes ends with a line feed, which no multi-byte character holds.
      let read = Buffer.alloc(0);
      let end = 0;
      while (end === 0 && start + read.length < size) {
        const block = Buffer.alloc(Math.min(READ_BYTES, size - start - read.length));
        const { bytesRead } = await handle.read(block, 0, block.length, start + read.length);
        if (bytesRead === 0) break;
        read = Buffer.concat([read, block.subarray(0, bytesRead)]);
        end = read.lastIndexOf(LF) + 1;
      }
      return { text: read.subarray(0, end).toString('utf8'), next: String(start + end) };
    } finally {
      await handle.close();
    }
  }

  private file(sessionId: string): string {
    return join(this.directory, `${sessionId}.cast`);
  }
}

class FileRecordingWriter implements RecordingWriter {
  /** Appends are chained so they land in call order. */
  private last: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly ref: string,
    private readonly handle: FileHandle,
  ) {}

  append(data: string | Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the recording is closed'));
    const next = this.last.then(async () => {
      // A process crash keeps what write() handed to the kernel.
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      // A write may take less than it was given (a full disk frees up, a signal): the rest follows.
      for (let written = 0; written < bytes.length; ) written += (await this.handle.write(bytes, written, bytes.length - written)).bytesWritten;
    });
    this.last = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.last;
    await this.handle.close();
  }
}
