import type { Readable } from 'node:stream';

/** Appends one session's recording; each append is durable once its promise resolves. */
export interface RecordingWriter {
  /** What the session record keeps to say where its recording is. */
  readonly ref: string;
  append(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Session recordings (asciicast v2 text), written incrementally while the session runs so a
 * crash loses at most the last flush, and read back whole for replay (`open` is what the web portal's RecordingSource asks for).
 */
export interface RecordingStore {
  /** @throws DuplicateKeyError when the session already has a recording. */
  create(sessionId: string): Promise<RecordingWriter>;
  /** The recording as written so far (also while it is still being written); null if none. */
  open(sessionId: string): Promise<Readable | null>;
}

/** Session ids are UUIDs; anything else never reaches a file name or a query. */
export function assertRecordingId(sessionId: string): void {
  if (typeof sessionId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(sessionId)) {
    throw new TypeError(`not a session id: ${JSON.stringify(sessionId)}`);
  }
}
