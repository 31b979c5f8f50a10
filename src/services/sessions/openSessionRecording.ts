import { pipeline, type Readable } from 'node:stream';
import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { loadSessionFor } from '../access/changeAccess.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { RecordingSource } from './recordingSource.js';
import { withTerminalNewlines } from './terminalNewlines.js';

/**
 * Opens a session's recording for replay; watching it is itself audited (VIEW, class SESSION).
 * An exec session's output gets the CR a terminal would have added before each LF.
 */
export async function openSessionRecording(
  deps: ServiceDeps,
  recordings: RecordingSource | undefined,
  user: PolicyUser,
  actor: Actor,
  sessionId: string,
): Promise<Readable> {
  const { session } = await loadSessionFor(deps, user, sessionId);
  if (!recordings) throw new ServiceError('unavailable', 'session recordings are not available on this server');
  const stream = await recordings.open(session.id);
  if (!stream) throw new ServiceError('not_found', `session ${session.id} has no recording`);
  try {
    await deps.audit.record(actor, {
      status: 'S',
      eventType: 'VIEW',
      class: 'SESSION',
      object: session.id,
      change: session.changeCode,
      details: `recording of ${session.user} on ${session.device} replayed`,
    });
  } catch (error) {
    // No replay that is not on record.
    stream.destroy();
    throw error;
  }
  // Exec sessions ran without a terminal: show their output as a terminal would have.
  return session.kind === 'exec' ? pipeline(stream, withTerminalNewlines(), () => undefined) : stream;
}
