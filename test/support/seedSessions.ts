import type { Session } from '../../src/domain/session/session.js';
import type { ServiceDeps } from '../../src/services/serviceDeps.js';
import { judgeExecCommand, judgeSessionLine } from '../../src/services/sessions/judgeSessionLine.js';
import { newLiveSession } from '../../src/services/sessions/liveSession.js';
import { SessionAlerts } from '../../src/services/sessions/sessionAlerts.js';
import { RecordingNotifier } from './recordingNotifier.js';

export interface SeededSession {
  readonly id: string;
  readonly changeCode: string;
  readonly user: string;
  readonly device: string;
  readonly group: string;
  /** Judged in order, as the proxy judges a shell session's prompt lines (or exec commands). */
  readonly lines: readonly string[];
  readonly kind?: 'shell' | 'exec' | undefined;
  readonly startedAt?: Date | undefined;
}

/**
 * Sessions with recorded commands, judged and stored by the proxy's own use cases
 * (judgeSessionLine for prompt lines, judgeExecCommand for exec commands) under the stored
 * policy, so records carry the verdicts, rules and audit entries a real session leaves.
 */
export async function seedSessions(deps: ServiceDeps, sessions: readonly SeededSession[]): Promise<void> {
  const alerts = new SessionAlerts(new RecordingNotifier());
  for (const seeded of sessions) {
    const change = await deps.store.changes.findByCode(seeded.changeCode);
    if (!change) throw new Error(`seedSessions: no change ${seeded.changeCode}`);
    const session: Session = {
      id: seeded.id,
      changeCode: seeded.changeCode,
      user: seeded.user,
      device: seeded.device,
      kind: seeded.kind ?? 'shell',
      justification: 'seeded for a test',
      clientAddress: '10.0.0.9',
      startedAt: seeded.startedAt ?? deps.clock(),
      state: 'ended',
    };
    await deps.store.sessions.create(session);
    const live = newLiveSession({ session, group: seeded.group, interruptAttempts: new Map<string, number>() }, change);
    for (const line of seeded.lines) {
      if (session.kind === 'exec') await judgeExecCommand(deps, alerts, live, line);
      else await judgeSessionLine(deps, alerts, live, line, 'shell');
    }
  }
}
