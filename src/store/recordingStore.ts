import type { Readable } from 'node:stream';

/** Appends one session's recording; each append is durable once its promise resolves. */
export interface RecordingWriter {
  /** What the session record keeps to say where its recording is. */
  readonly ref: string;
  /**
   * Text, or the same as UTF-8 bytes (what the proxy's recorder gives: no decoding on its
   * path). A Buffer is the caller's again once the promise settles: a writer that keeps the
   * data longer copies it.
   */
  append(data: string | Buffer): Promise<void>;
  close(): Promise<void>;
}

/** How far a reader of a growing recording got: opaque to it (a byte offset, a chunk number). */
export type RecordingPosition = string;

/** What was appended to a recording after a position, and where the next read starts. */
export interface RecordingPiece {
  /** Whole characters, in order; empty when nothing new was written. */
  readonly text: string;
  readonly next: RecordingPosition;
}

/**
 * Session recordings (asciicast v2 text), written incrementally while the session runs so a
 * crash loses at most the last flush, and read back whole for replay (`open` is what the web
 * portal's RecordingSource asks for) or followed while they grow (`readAfter`: live watching,
 * from any process, since it reads what is stored).
 */
export interface RecordingStore {
  /** @throws DuplicateKeyError when the session already has a recording. */
  create(sessionId: string): Promise<RecordingWriter>;
  /** The recording as written so far (also while it is still being written); null if none. */
  open(sessionId: string): Promise<Readable | null>;
  /**
   * What was appended after `position` (from the start when undefined), at most about a
   * mebibyte per call; null if there is no recording. The text ends at a line's end unless
   * one append was longer than the store keeps in one piece: readers join lines across reads.
   */
  readAfter(sessionId: string, position: RecordingPosition | undefined): Promise<RecordingPiece | null>;
}

/** A position a store handed out is a decimal count; anything else is a caller's bug. */
export function positionNumber(position: RecordingPosition | undefined): number {
  if (position === undefined) return 0;
  if (!/^\d{1,15}$/.test(position)) throw new TypeError(`not a recording position: ${JSON.stringify(position)}`);
  return Number(position);
}

/** Session ids are UUIDs; anything else never reaches a file name or a query. */
export function assertRecordingId(sessionId: string): void {
  if (typeof sessionId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(sessionId)) {
    throw new TypeError(`not a session id: ${JSON.stringify(sessionId)}`);
  }
}
