import { severityOf, siemJsonLine, type SiemEvent } from './siemEvent.js';

/** Syslog facilities by name (RFC 5424, table 1). */
export const SYSLOG_FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11, ntp: 12, audit: 13, alert: 14, clock: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

export interface SyslogHeader {
  readonly facility: SyslogFacility;
  /** HOSTNAME: this machine's name (printable ASCII, at most 255). */
  readonly hostname: string;
  /** APP-NAME, at most 48. */
  readonly appName: string;
  /** PROCID, at most 128. */
  readonly procId: string;
}

/**
 * RFC 5424's private SD-ID for changeguard's structured data: `name@enterprise`, with 32473,
 * the private enterprise number RFC 5612 reserves for documentation (changeguard has none).
 */
export const STRUCTURED_DATA_ID = 'changeguard@32473';

/**
 * One event as an RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`,
 * MSGID `audit` or `alert`, the idempotency id and position as structured data, and the
 * event's JSON line as MSG (UTF-8, no BOM: the JSON is what a SIEM parses).
 */
export function syslogMessage(event: SiemEvent, header: SyslogHeader): string {
  const pri = SYSLOG_FACILITIES[header.facility] * 8 + severityOf(event);
  const sd = `[${STRUCTURED_DATA_ID} id="${sdValue(event.id)}" pos="${event.pos}"]`;
  return `<${pri}>1 ${event.at} ${headerField(header.hostname, 255)} ${headerField(header.appName, 48)} ${headerField(header.procId, 128)} ${event.kind} ${sd} ${siemJsonLine(event)}`;
}

/**
 * Octet-counting framing (RFC 6587 3.4.1, required by RFC 5425 for TLS): `LEN SP MSG`, LEN the
 * message's length in bytes. A receiver splits frames without caring about newlines.
 */
export function octetCountedFrame(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}

/** Header fields are printable US-ASCII without spaces; `-` when empty (NILVALUE). */
function headerField(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}

/** PARAM-VALUE escapes `"`, `\` and `]` (RFC 5424 6.3.3). */
function sdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}
