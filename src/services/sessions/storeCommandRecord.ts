import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { AuditFields } from '../audit/auditTrail.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { LiveSession } from './liveSession.js';
import { actorOf } from './openSession.js';

/**
 * Stores a judged command and its EXECUTE audit record, for every way a command is decided:
 * judged at the prompt or on exec, refused before judging, refused at run time. One place, so
 * the record and its audit entry always say the same thing.
 *
 * Two writes, not one unit: the command repository takes no commit yet (a command recorded
 * without its audit entry is possible after a crash between them; the reverse is not).
 */
export async function storeCommandRecord(
  deps: ServiceDeps,
  session: LiveSession['scope']['session'],
  record: CommandRecord,
  details: string,
): Promise<void> {
  await deps.store.commands.append(record);
  const entry: AuditFields = {
    status: record.verdict === 'allow' ? 'S' : 'D',
    eventType: 'EXECUTE',
    class: 'COMMAND',
    object: record.device,
    change: record.changeCode,
    command: record.line,
    details: `${details} in session ${record.sessionId}`,
    reason: record.reason,
    flags: record.risk ? `risk:${record.risk}` : undefined,
  };
  await deps.audit.record(actorOf(session), entry);
}
