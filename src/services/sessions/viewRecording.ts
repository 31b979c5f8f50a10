import type { Readable } from 'node:stream';
import type { Role } from '../../domain/policy/policy.js';
import type { Session } from '../../domain/session/session.js';
import type { RecordingStore } from '../../store/recordingStore.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** Who may watch what was done in a session. */
export const RECORDING_VIEWER_ROLES: readonly Role[] = ['auditor', 'security', 'admin'];

/**
 * Opens a session's recording (asciicast v2) for replay. Viewing a recording is itself an
 * audited event (reference/audit-protection-records.txt), refused views included.
 */
export async function viewRecording(
  deps: ServiceDeps,
  recordings: RecordingStore,
  sessionId: string,
  actor: Actor,
): Promise<{ session: Session; recording: Readable }> {
  const session = /^[A-Za-z0-9_-]{1,128}$/.test(sessionId) ? await deps.store.sessions.findById(sessionId) : null;
  if (!session) throw new ServiceError('not_found', `no session ${sessionId}`);
  const audit = (status: 'S' | 'D' | 'F', details: string) =>
    deps.audit.record(actor, { status, eventType: 'VIEW', class: 'SESSION', object: session.id, change: session.changeCode, details });
  const viewer = await deps.policies.user(actor.userId);
  if (!viewer || !viewer.roles.some((role) => RECORDING_VIEWER_ROLES.includes(role))) {
    await audit('D', 'viewing a session recording: refused');
    throw new ServiceError('forbidden', `viewing recordings needs one of the roles ${RECORDING_VIEWER_ROLES.join(', ')}`);
  }
  const recording = await recordings.open(session.id);
  if (!recording) {
    await audit('F', 'viewing a session recording: none stored');
    throw new ServiceError('not_found', `session ${session.id} has no recording`);
  }
  await audit('S', 'viewing a session recording');
  return { session, recording };
}
