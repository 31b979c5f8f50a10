import type { AuditRecord } from '../../domain/audit/auditRecord.js';
import type { AuditQuery, AuditRepository } from '../../store/auditRepository.js';

export type ExportFormat = 'csv' | 'json';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Date and Time as the reference record format writes them: `05 Nov 2008`, `15:45:12` (UTC). */
export function recordDate(at: Date): { date: string; time: string } {
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${pad(at.getUTCDate())} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}`,
    time: `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`,
  };
}

const CSV_COLUMNS = [
  'Seq', 'Date', 'Time', 'Status', 'Event type', 'Class', 'Actor', 'Details', 'Reason',
  'Object', 'Terminal', 'Command', 'Flags', 'Change', 'Timestamp', 'Prev hash', 'Hash',
] as const;

function csvRow(record: AuditRecord): string[] {
  const { date, time } = recordDate(record.at);
  return [
    String(record.seq), date, time, record.status, record.eventType, record.class, record.actor,
    record.details ?? '', record.reason ?? '', record.object ?? '', record.terminal ?? '',
    record.command ?? '', record.flags ?? '', record.change ?? '', record.at.toISOString(),
    record.prevHash, record.hash,
  ];
}

/**
 * RFC 4180 quoting, and a leading apostrophe on cells a spreadsheet would run as a formula
 * (a command line like `=cmd|...` typed in a session must not execute on the auditor's desk).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Streams the trail (or a filtered part) as CSV lines or as one JSON array. */
export async function* exportAuditTrail(
  repository: AuditRepository,
  format: ExportFormat,
  query: Omit<AuditQuery, 'limit' | 'offset'> = {},
): AsyncGenerator<string> {
  if (format === 'csv') {
    yield `${CSV_COLUMNS.join(',')}\r\n`;
    for await (const record of repository.iterate(query)) yield `${csvRow(record).map(csvCell).join(',')}\r\n`;
    return;
  }
  let first = true;
  yield '[';
  for await (const record of repository.iterate(query)) {
    const { date, time } = recordDate(record.at);
    yield `${first ? '\n' : ',\n'}${JSON.stringify({ ...record, date, time })}`;
    first = false;
  }
  yield '\n]\n';
}
