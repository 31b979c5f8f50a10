import type { AuditRecord, ChainHead } from '../../domain/audit/auditRecord.js';
import { formatAnchor } from '../../domain/audit/verifyChain.js';
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

/**
 * Streams the trail (or a filtered part) as CSV lines or as one JSON array, ending with the
 * whole chain's head when the export began: a file kept outside changeguard then anchors the
 * trail (`changeguard audit verify --expect-head SEQ:HASH`). CSV: a last row whose Seq is
 * `HEAD`; JSON: a last element `{"head": {"seq", "hash"}, "anchor": "SEQ:HASH"}`.
 */
export async function* exportAuditTrail(
  repository: AuditRepository,
  format: ExportFormat,
  query: Omit<AuditQuery, 'limit' | 'offset'> = {},
): AsyncGenerator<string> {
  const head = await repository.head();
  if (format === 'csv') {
    yield `${CSV_COLUMNS.join(',')}\r\n`;
    for await (const record of repository.iterate(query)) yield `${csvRow(record).map(csvCell).join(',')}\r\n`;
    if (head) yield `${headRow(head).map(csvCell).join(',')}\r\n`;
    return;
  }
  let first = true;
  yield '[';
  for await (const record of repository.iterate(query)) {
    const { date, time } = recordDate(record.at);
    yield `${first ? '\n' : ',\n'}${JSON.stringify({ ...record, date, time })}`;
    first = false;
  }
  if (head) yield `${first ? '\n' : ',\n'}${JSON.stringify({ head, anchor: formatAnchor(head) })}`;
  yield '\n]\n';
}

/** The CSV row that carries the chain's head: Seq `HEAD`, the anchor in Details, the hash in Hash. */
function headRow(head: ChainHead): string[] {
  const row: Record<(typeof CSV_COLUMNS)[number], string> = Object.fromEntries(CSV_COLUMNS.map((column) => [column, ''])) as Record<(typeof CSV_COLUMNS)[number], string>;
  row.Seq = 'HEAD';
  row['Event type'] = 'CHAIN_HEAD';
  row.Details = `chain head at export: record ${head.seq}; anchor ${formatAnchor(head)}`;
  row.Object = String(head.seq);
  row.Hash = head.hash;
  return CSV_COLUMNS.map((column) => row[column]);
}
