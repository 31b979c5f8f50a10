import type { Session } from '../../src/domain/session/session.js';
import type { ServiceDeps } from '../../src/services/serviceDeps.js';
import { judgeCommand } from '../../src/services/sessions/judgeCommand.js';

export interface SeededSession {
  readonly id: string;
  readonly changeCode: string;
  readonly user: string;
  readonly device: string;
  readonly group: string;
  /** Judged in order, by the real rule engine under the stored policy, as the proxy does. */
  readonly lines: readonly string[];
  readonly startedAt?: Date | undefined;
}

/**
 * Sessions with recorded commands, judged and stored by judgeCommand (the proxy's own use
 * case), so records carry the verdicts, rules and audit entries a real session leaves.
 */
export async function seedSessions(deps: ServiceDeps, sessions: readonly SeededSession[]): Promise<void> {
  for (const seeded of sessions) {
    const session: Session = {
      id: seeded.id,
      changeCode: seeded.changeCode,
      user: seeded.user,
      device: seeded.device,
      kind: 'shell',
      justification: 'seeded for a test',
      clientAddress: '10.0.0.9',
      startedAt: seeded.startedAt ?? deps.clock(),
      state: 'ended',
    };
    await deps.store.sessions.create(session);
    const scope = { session, group: seeded.group, interruptAttempts: new Map<string, number>() };
    for (const line of seeded.lines) await judgeCommand(deps, scope, line, 'shell');
  }
}
