import type { AuditEntry, AuditRecord, ChainHead } from '../../domain/audit/auditRecord.js';
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

  /**
   * Walks the whole chain in sequence order, checks every stored copy of a field against the
   * hashed record, and compares the end with the head the store recorded and, when given, a
   * head anchored outside the store (`expectHead`), which a rewound store cannot fake.
   */
  async verify(options: { expectHead?: ChainHead | undefined } = {}): Promise<ChainVerification> {
    const verifier = new ChainVerifier(options.expectHead ?? null);
    for await (const { record, divergent } of this.repository.iterateStored()) {
      if (!verifier.add(record, divergent)) break;
    }
    return verifier.finish(await this.repository.head());
  }
}
