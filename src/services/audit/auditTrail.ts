import type { AuditEntry, AuditRecord } from '../../domain/audit/auditRecord.js';
import { ChainVerifier, type ChainVerification } from '../../domain/audit/verifyChain.js';
import type { Clock } from '../../domain/clock.js';
import type { AuditRepository } from '../../store/auditRepository.js';
import type { Actor } from '../actor.js';

export type AuditFields = Omit<AuditEntry, 'at' | 'actor' | 'terminal'>;

/** Writes the tamper-evident trail and checks it. */
export class AuditTrail {
  constructor(
    private readonly repository: AuditRepository,
    private readonly clock: Clock,
  ) {}

  record(actor: Actor, fields: AuditFields): Promise<AuditRecord> {
    return this.repository.append({ ...fields, at: this.clock(), actor: actor.userId, terminal: actor.terminal });
  }

  /** Walks the whole chain in sequence order and compares it with the recorded head. */
  async verify(): Promise<ChainVerification> {
    const verifier = new ChainVerifier();
    for await (const record of this.repository.iterate()) {
      if (!verifier.add(record)) break;
    }
    return verifier.finish(await this.repository.head());
  }
}
