import type { Readable } from 'node:stream';

/**
 * Where session recordings (asciicast v2) are read from. The proxy's recording store
 * implements it; tests use a directory of fixture files.
 */
export interface RecordingSource {
  /** The recording of a session, or null when there is none. */
  open(sessionId: string): Promise<Readable | null>;
}
