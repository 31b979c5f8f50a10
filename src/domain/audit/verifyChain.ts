import { GENESIS_HASH, hashRecord, type AuditRecord, type ChainHead } from './auditRecord.js';

export type ChainProblem = 'edited' | 'deleted' | 'reordered' | 'truncated';

/** `SEQ:HASH`: a chain head as posted outside the store (the audit channel, a report, an export). */
export function formatAnchor(head: ChainHead): string {
  return `${head.seq}:${head.hash}`;
}

/** Reads `SEQ:HASH`; null when it is not one. */
export function parseAnchor(text: string): ChainHead | null {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: match[2]! } : null;
}

export type ChainVerification =
  | { readonly ok: true; readonly count: number; readonly head: ChainHead | null }
  | {
      readonly ok: false;
      readonly count: number;
      /** Sequence number of the first record that does not fit the chain. */
      readonly firstBad: number;
      readonly problem: ChainProblem;
      readonly message: string;
    };

/**
 * Incremental verifier: feed records in the order the store returns them by `seq`, so a
 * chain of millions of records is checked without holding it in memory.
 */
export class ChainVerifier {
  private previous: ChainHead | null = null;
  private count = 0;
  private failure: Extract<ChainVerification, { ok: false }> | null = null;

  /**
   * `anchor`: a head recorded outside the store (posted to the audit channel, printed in a
   * report or an export). The chain must still hold that record with that hash: a tail cut
   * together with a rewound head in the store is then caught.
   */
  constructor(private readonly anchor: ChainHead | null = null) {}

  /**
   * `divergent`: stored copies of the record's fields (columns queries filter on) that say
   * something else than its hashed document. The hash covers the document only, so an edit
   * there would change what searches and pages show without breaking the chain.
   */
  add(record: AuditRecord, divergent: readonly string[] = []): boolean {
    if (this.failure) return false;
    const expectedSeq = (this.previous?.seq ?? 0) + 1;
    const expectedPrev = this.previous?.hash ?? GENESIS_HASH;
    this.count++;
    if (hashRecord(record) !== record.hash) {
      return this.fail(record.seq, 'edited', `record ${record.seq} was altered: its content does not match its hash`);
    }
    if (divergent.length > 0) {
      return this.fail(record.seq, 'edited', `record ${record.seq} was altered: its stored ${divergent.join(', ')} ${divergent.length === 1 ? 'differs' : 'differ'} from its hashed content`);
    }
    if (record.seq < expectedSeq) {
      return this.fail(record.seq, 'reordered', `record ${record.seq} appears after record ${expectedSeq - 1}`);
    }
    if (record.seq > expectedSeq) {
      return this.fail(expectedSeq, 'deleted', `record ${expectedSeq} is missing (next present is ${record.seq})`);
    }
    if (record.prevHash !== expectedPrev) {
      // A record that hashes correctly but links to another predecessor was moved or the
      // records before it were replaced.
      return this.fail(record.seq, 'reordered', `record ${record.seq} does not link to record ${expectedSeq - 1}`);
    }
    if (this.anchor && record.seq === this.anchor.seq && record.hash !== this.anchor.hash) {
      return this.fail(record.seq, 'edited', `record ${record.seq} differs from the anchored head ${formatAnchor(this.anchor)}: the trail was rewritten from there`);
    }
    this.previous = { seq: record.seq, hash: record.hash };
    return true;
  }

  /** `head` is the chain head the store recorded at its last append; a shorter chain lost its tail. */
  finish(head: ChainHead | null): ChainVerification {
    if (this.failure) return this.failure;
    const lastSeq = this.previous?.seq ?? 0;
    if (head && head.seq > lastSeq) {
      this.fail(lastSeq + 1, 'truncated', `records ${lastSeq + 1}..${head.seq} are missing from the end of the trail`);
      return this.failure!;
    }
    if (head && head.seq === lastSeq && this.previous && head.hash !== this.previous.hash) {
      this.fail(lastSeq, 'edited', `record ${lastSeq} differs from the recorded chain head`);
      return this.failure!;
    }
    if (this.anchor && this.anchor.seq > lastSeq) {
      this.fail(
        lastSeq + 1,
        'truncated',
        `records ${lastSeq + 1}..${this.anchor.seq} are missing: the trail ends at record ${lastSeq} but its head was anchored at ${formatAnchor(this.anchor)}`,
      );
      return this.failure!;
    }
    return { ok: true, count: this.count, head: this.previous };
  }

  private fail(firstBad: number, problem: ChainProblem, message: string): false {
    this.failure = { ok: false, count: this.count, firstBad, problem, message };
    return false;
  }
}

export function verifyChain(records: Iterable<AuditRecord>, head: ChainHead | null = null, anchor: ChainHead | null = null): ChainVerification {
  const verifier = new ChainVerifier(anchor);
  for (const record of records) {
    if (!verifier.add(record)) break;
  }
  return verifier.finish(head);
}
