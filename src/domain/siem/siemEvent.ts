import type { AuditRecord } from '../audit/auditRecord.js';

/**
 * One event of the SIEM stream, as the sinks send it: one JSON object per line. `id` is the
 * idempotency id: the same event delivered twice (the stream is at-least-once) carries the
 * same id, so a receiver drops repeats by it. `pos` is its place in the stream, the same for
 * every sink, increasing.
 */
export type SiemEvent = SiemAuditEvent | SiemAlertEvent;

interface SiemEventBase {
  readonly id: string;
  readonly pos: number;
  /** ISO 8601, UTC, milliseconds. */
  readonly at: string;
  readonly source: 'changeguard';
}

/** Every audit record, as the trail holds it (hash-chained: seq, prevHash, hash). */
export interface SiemAuditEvent extends SiemEventBase {
  readonly kind: 'audit';
  readonly record: Omit<AuditRecord, 'at'> & { readonly at: string };
}

/** A security alert: what changeguard posts to the security channel (blocked commands, locks, ...). */
export interface SiemAlertEvent extends SiemEventBase {
  readonly kind: 'alert';
  readonly alert: {
    /** Notification type, e.g. `command.block` (docs/DESIGN.md, the notification catalogue). */
    readonly type: string;
    /** How changeguard worded it, as plain text. */
    readonly text: string;
    /** The alert's data: the change, session, command, rules, risk... (JSON values only). */
    readonly data: Readonly<Record<string, unknown>>;
  };
}

/** A stored item of the stream: an audit record or an alert, at its position. */
export type SiemFeedItem =
  | { readonly pos: number; readonly kind: 'audit'; readonly record: AuditRecord }
  | {
      readonly pos: number;
      readonly kind: 'alert';
      readonly alertId: string;
      readonly at: Date;
      readonly type: string;
      readonly text: string;
      readonly data: Readonly<Record<string, unknown>>;
    };

export function siemEventOf(item: SiemFeedItem): SiemEvent {
  if (item.kind === 'audit') {
    const { record } = item;
    // The hash too: after a restore to an earlier point a new record may take a seq already sent.
    return { id: `audit:${record.seq}:${record.hash.slice(0, 16)}`, pos: item.pos, at: record.at.toISOString(), source: 'changeguard', kind: 'audit', record: { ...record, at: record.at.toISOString() } };
  }
  return {
    id: `alert:${item.alertId}`,
    pos: item.pos,
    at: item.at.toISOString(),
    source: 'changeguard',
    kind: 'alert',
    alert: { type: item.type, text: item.text, data: item.data },
  };
}

/** RFC 5424 severities changeguard uses. */
export const SEVERITY = { critical: 2, warning: 4, notice: 5, informational: 6 } as const;

/**
 * How urgent an event is: a high-risk alert is critical, any other alert a warning; an audit
 * record that failed is a warning, a refusal a notice, the rest informational.
 */
export function severityOf(event: SiemEvent): number {
  if (event.kind === 'alert') return event.alert.data.risk === 'high' || /high/.test(event.alert.type) ? SEVERITY.critical : SEVERITY.warning;
  if (event.record.status === 'F') return SEVERITY.warning;
  if (event.record.status === 'D') return SEVERITY.notice;
  return SEVERITY.informational;
}

/** The event as one line of JSON (no newline inside: JSON escapes them). */
export function siemJsonLine(event: SiemEvent): string {
  return JSON.stringify(event);
}
