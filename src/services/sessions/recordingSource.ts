import type { Readable } from 'node:stream';
import type { RecordingPiece, RecordingPosition } from '../../store/recordingStore.js';

/**
 * Where session recordings (asciicast v2) are read from: the proxy's recording store, which
 * any process can read (the portal need not be the process that records).
 */
export interface RecordingSource {
  /** The recording of a session, or null when there is none. */
  open(sessionId: string): Promise<Readable | null>;
  /** What was appended after `position` (from the start when undefined); null when there is none. */
  readAfter(sessionId: string, position: RecordingPosition | undefined): Promise<RecordingPiece | null>;
}
