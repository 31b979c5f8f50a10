import { describe, expect, it } from 'vitest';
import { sealRecord } from '../../../src/domain/audit/auditRecord.js';
import { severityOf, siemEventOf, siemJsonLine } from '../../../src/domain/siem/siemEvent.js';
import { MAX_SIEM_RETRY_MS, siemRetryDelayMs } from '../../../src/domain/siem/siemRetry.js';
import { octetCountedFrame, syslogMessage } from '../../../src/domain/siem/syslogMessage.js';

const at = new Date('2026-12-05T09:30:00.123Z');
const record = sealRecord({ at, status: 'D', eventType: 'EXECUTE', class: 'COMMAND', actor: 'alice', details: 'blocked "rm -rf /" ]\\', change: 'CHG-42' }, null);
const header = { facility: 'audit' as const, hostname: 'cg 1.example', appName: 'changeguard', procId: '4242' };

describe('SIEM events', () => {
  it('carry an audit record whole, with an id made of its seq and hash', () => {
    const event = siemEventOf({ pos: 7, kind: 'audit', record });
    expect(event).toEqual({ id: `audit:1:${record.hash.slice(0, 16)}`, pos: 7, at: '2026-12-05T09:30:00.123Z', source: 'changeguard', kind: 'audit', record: { ...record, at: '2026-12-05T09:30:00.123Z' } });
    expect(JSON.parse(siemJsonLine(event))).toEqual(event);
    expect(siemJsonLine(event)).not.toContain('\n');
  });

  it('carry an alert with its type, wording and data', () => {
    const event = siemEventOf({ pos: 8, kind: 'alert', alertId: 'a1', at, type: 'command.block', text: 'Command blocked\non web01', data: { risk: 'medium' } });
    expect(event).toMatchObject({ id: 'alert:a1', kind: 'alert', alert: { type: 'command.block', text: 'Command blocked\non web01', data: { risk: 'medium' } } });
    expect(siemJsonLine(event)).not.toContain('\n');
  });

  it('rank severities: high-risk alerts critical, other alerts and failures warnings, refusals notices', () => {
    const alert = (type: string, data: Record<string, unknown> = {}) => siemEventOf({ pos: 1, kind: 'alert', alertId: 'x', at, type, text: '', data });
    const audit = (status: 'S' | 'D' | 'F') => siemEventOf({ pos: 1, kind: 'audit', record: { ...record, status } });
    expect([alert('command.block', { risk: 'high' }), alert('session.high_risk'), alert('command.block'), audit('F'), audit('D'), audit('S')].map(severityOf)).toEqual([2, 2, 4, 4, 5, 6]);
  });
});

describe('RFC 5424 over TCP and TLS', () => {
  it('writes PRI from the facility and severity, the header, the id as structured data, and the JSON line', () => {
    const event = siemEventOf({ pos: 7, kind: 'audit', record });
    const message = syslogMessage(event, header);
    // audit (13) * 8 + notice (5); the space in the host name is not allowed in a header field.
    expect(message).toBe(`<109>1 2026-12-05T09:30:00.123Z cg1.example changeguard 4242 audit [changeguard@32473 id="${event.id}" pos="7"] ${siemJsonLine(event)}`);
  });

  it('escapes quotes, backslashes and brackets in structured data, and writes NILVALUE for an empty field', () => {
    const event = { ...siemEventOf({ pos: 1, kind: 'alert', alertId: 'a"b]c\\', at, type: 't', text: '', data: {} }) };
    const message = syslogMessage(event, { ...header, procId: '' });
    expect(message).toContain(' changeguard - alert [changeguard@32473 id="alert:a\\"b\\]c\\\\" pos="1"] ');
  });

  it('frames by octet count, in bytes', () => {
    // Seven characters, eight bytes.
    expect(octetCountedFrame('<13>1 é')).toBe('8 <13>1 é');
  });
});

describe('retries', () => {
  it('double from a second up to a minute, with at most a tenth more at random, and never stop', () => {
    expect([1, 2, 3, 4, 7].map((n) => siemRetryDelayMs(n, 0))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    expect(siemRetryDelayMs(1000, 0)).toBe(MAX_SIEM_RETRY_MS);
    expect(siemRetryDelayMs(1, 0.5)).toBe(1050);
    expect(siemRetryDelayMs(7, 0.9999)).toBeLessThanOrEqual(66_000);
  });
});
