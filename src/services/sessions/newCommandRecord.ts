import { randomUUID } from 'node:crypto';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { Session } from '../../domain/session/session.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** What a use case decides about a line; the rest of its record is the session's and the clock's. */
export type CommandRecordFields = Omit<CommandRecord, 'id' | 'sessionId' | 'changeCode' | 'user' | 'device' | 'at'>;

/** A command record of this session, under a fresh id, stamped now. */
export function newCommandRecord(deps: Pick<ServiceDeps, 'clock'>, session: Session, fields: CommandRecordFields): CommandRecord {
  return { id: randomUUID(), sessionId: session.id, changeCode: session.changeCode, user: session.user, device: session.device, at: deps.clock(), ...fields };
}
