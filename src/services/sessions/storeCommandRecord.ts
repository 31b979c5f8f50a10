import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { AuditFields } from '../audit/auditTrail.js';
import { CommitBuilder } from '../commits/commitBuilder.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { LiveSession } from './liveSession.js';
import { actorOf } from './openSession.js';

/**
 * Stores a judged command and its EXECUTE audit record, for every way a command is decided:
 * judged at the prompt or on exec, refused before judging, refused at run time. One place, so
 * the record and its audit entry always say the same thing.
 *
 * One unit: the audit entry is the command's commit, written with it all or nothing (SQLite:
 * one transaction; MongoDB: inside the command document, relayed to the chain at once), so no
 * crash leaves a command without its record or a record without its command.
 */
export async function storeCommandRecord(
  deps: ServiceDeps,
  session: LiveSession['scope']['session'],
  record: CommandRecord,
  details: string,
): Promise<void> {
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
  const commit = await new CommitBuilder(deps, actorOf(session)).audit(entry).build();
  await deps.store.commands.append(record, commit);
}
