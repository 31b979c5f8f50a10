import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashRecord, sealRecord, type AuditEntry, type AuditRecord } from '../../../src/domain/audit/auditRecord.js';
import { canonicalJson } from '../../../src/domain/audit/canonicalJson.js';
import { verifyChain } from '../../../src/domain/audit/verifyChain.js';
import { T0 } from '../../support/factories.js';

function entry(i: number): AuditEntry {
  return {
    at: new Date(T0.getTime() + i * 1000),
    status: 'S',
    eventType: 'APPROVE',
    class: 'CHANGE',
    actor: 'bob',
    object: `CHG-${i}`,
    change: `CHG-${i}`,
    images: { before: { status: 'pending_approval' }, after: { status: 'approved' } },
  };
}

function chain(length: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let i = 1; i <= length; i++) records.push(sealRecord(entry(i), records.at(-1) ?? null));
  return records;
}

describe('audit hash chain', () => {
  it('links each record to the previous one from a genesis hash', () => {
    const records = chain(3);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]?.prevHash).toBe(GENESIS_HASH);
    expect(records[1]?.prevHash).toBe(records[0]?.hash);
    expect(records[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verifies an untouched chain', () => {
    const records = chain(5);
    expect(verifyChain(records, { seq: 5, hash: records[4]!.hash })).toEqual({ ok: true, count: 5, head: { seq: 5, hash: records[4]!.hash } });
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: null });
  });

  it('detects an edited field', () => {
    const records = chain(5);
    records[2] = { ...records[2]!, actor: 'mallory' };
    expect(verifyChain(records)).toMatchObject({ ok: false, firstBad: 3, problem: 'edited' });
  });

  it('detects an edited image', () => {
    const records = chain(5);
    records[1] = { ...records[1]!, images: { before: { status: 'x' }, after: { status: 'approved' } } };
    expect(verifyChain(records)).toMatchObject({ ok: false, firstBad: 2, problem: 'edited' });
  });

  it('detects an edit that recomputed the record hash (the next link breaks)', () => {
    const records = chain(5);
    const forged = { ...records[2]!, reason: 'covered up' };
    records[2] = { ...forged, hash: hashRecord(forged) };
    expect(verifyChain(records)).toMatchObject({ ok: false, firstBad: 4, problem: 'reordered' });
  });

  it('detects a deleted record', () => {
    const records = chain(5);
    records.splice(2, 1);
    expect(verifyChain(records)).toMatchObject({ ok: false, firstBad: 3, problem: 'deleted' });
  });

  it('detects a deleted tail against the recorded head', () => {
    const records = chain(5);
    const head = { seq: 5, hash: records[4]!.hash };
    expect(verifyChain(records.slice(0, 3), head)).toMatchObject({ ok: false, firstBad: 4, problem: 'truncated' });
  });

  it('detects reordered records', () => {
    const records = chain(5);
    [records[1], records[2]] = [records[2]!, records[1]!];
    expect(verifyChain(records)).toMatchObject({ ok: false, firstBad: 2, problem: 'deleted' });
    const renumbered = chain(5);
    // Swap contents but keep the sequence numbers in place: the hashes no longer fit.
    const a = renumbered[1]!;
    const b = renumbered[2]!;
    renumbered[1] = { ...b, seq: 2 };
    renumbered[2] = { ...a, seq: 3 };
    expect(verifyChain(renumbered)).toMatchObject({ ok: false, firstBad: 2, problem: 'edited' });
  });

  it('detects records swapped and re-hashed in place (the links break)', () => {
    const records = chain(5);
    const second = { ...records[2]!, seq: 2, prevHash: records[0]!.hash };
    const third = { ...records[1]!, seq: 3, prevHash: records[1]!.hash };
    records[1] = { ...second, hash: hashRecord(second) };
    records[2] = { ...third, hash: hashRecord(third) };
    expect(verifyChain(records)).toMatchObject({ ok: false, firstBad: 3, problem: 'reordered' });
  });

  it('hashes a canonical form that does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: new Date(0), c: [1, undefined] } })).toBe('{"a":{"c":[1,null],"d":"1970-01-01T00:00:00.000Z"},"b":1}');
    const record = chain(1)[0]!;
    const reordered = Object.fromEntries(Object.entries(record).reverse()) as AuditRecord;
    expect(hashRecord(reordered)).toBe(record.hash);
  });
});
