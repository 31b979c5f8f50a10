import { createReadStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { assertRecordingId, type RecordingStore, type RecordingWriter } from '../recordingStore.js';
import { DuplicateKeyError } from '../storeErrors.js';

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

  append(text: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the recording is closed'));
    const next = this.last.then(async () => {
      // A process crash keeps what write() handed to the kernel.
      await this.handle.write(text);
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
