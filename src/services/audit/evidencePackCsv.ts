import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { csvCell } from './auditExport.js';
import type { EvidencePack } from './evidencePack.js';

const COLUMNS = ['Section', 'Ref', 'Time', 'Who', 'What', 'Status', 'Detail', 'Prev hash', 'Hash'] as const;
type Row = Readonly<Record<(typeof COLUMNS)[number], string>>;

const iso = (at: Date | undefined) => (at ? at.toISOString() : '');
const row = (values: Partial<Row>): Row => Object.fromEntries(COLUMNS.map((c) => [c, values[c] ?? ''])) as Row;

/**
 * The evidence pack flattened for a spreadsheet: one row per fact, a Section column saying
 * what kind (change, approval, decision, script line, session, command, blocked attempt,
 * audit record, chain). Cells are quoted and formula-neutralised as the trail export does.
 */
export function* evidencePackCsv(pack: EvidencePack): Generator<string> {
  const { change } = pack;
  const commands = new Map(pack.commands.map((c) => [c.id, c]));
  const rows: Row[] = [
    row({
      Section: 'change', Ref: change.code, Time: iso(change.createdAt), Who: change.requester, What: change.title, Status: change.status,
      Detail: `group ${change.group}; devices ${change.devices.join(' ')}; window ${iso(change.windowStart)} to ${iso(change.windowEnd)}; outcome ${change.outcome ?? 'none yet'}; ${change.description}`,
      Hash: pack.script.hash,
    }),
    ...pack.approvals.map((a) => row({ Section: 'approval', Ref: change.code, Time: iso(a.at), Who: a.approver, What: 'approved', Hash: a.scriptHash })),
    ...(['rejection', 'revocation', 'cancellation'] as const).flatMap((kind) => {
      const decision = pack.decisions[kind];
      return decision ? [row({ Section: 'decision', Ref: change.code, Time: iso(decision.at), Who: decision.by, What: kind, Detail: decision.reason })] : [];
    }),
    ...pack.scriptAudit.planned.map((line) =>
      row({ Section: 'script line', Ref: `line ${line.lineNo}`, What: line.text, Status: line.status, Detail: [line.outOfOrder ? 'out of order' : '', line.executedRefs.length ? `ran as ${line.executedRefs.join(' ')}` : ''].filter(Boolean).join('; ') }),
    ),
    ...pack.sessions.map((s) =>
      row({
        Section: 'session', Ref: s.id, Time: iso(s.startedAt), Who: s.user, What: `${s.kind} on ${s.device}`, Status: s.state,
        Detail: `from ${s.clientAddress}; ended ${iso(s.endedAt) || 'not yet'}${s.endReason ? ` (${s.endReason})` : ''}; justification: ${s.justification}`,
      }),
    ),
    ...pack.scriptAudit.executed.map((e) =>
      row({ Section: 'command', Ref: e.ref, Time: iso(e.at), Who: commands.get(e.ref)?.user ?? '', What: e.line, Status: e.status, Detail: commandDetail(commands.get(e.ref), e.extraCommands) }),
    ),
    ...pack.scriptAudit.blocked.map((b) =>
      row({ Section: 'blocked attempt', Ref: b.ref, Time: iso(b.at), Who: commands.get(b.ref)?.user ?? '', What: b.line, Status: b.verdict, Detail: commandDetail(commands.get(b.ref), []) }),
    ),
    ...pack.auditRecords.map((r) =>
      row({
        Section: 'audit record', Ref: String(r.seq), Time: iso(r.at), Who: r.actor, What: [r.eventType, r.class, r.object].filter(Boolean).join(' '), Status: r.status,
        Detail: [r.details, r.reason && `reason: ${r.reason}`, r.terminal && `terminal: ${r.terminal}`].filter(Boolean).join('; '), 'Prev hash': r.prevHash, Hash: r.hash,
      }),
    ),
    row({
      Section: 'chain', Time: iso(pack.generatedAt), Who: pack.generatedBy, What: `verified ${pack.chain.count} records`, Status: pack.chain.ok ? 'intact' : 'BROKEN',
      Detail: pack.chain.ok ? `head ${pack.chain.head?.seq ?? 0}` : pack.chain.message, Hash: pack.chain.ok ? (pack.chain.head?.hash ?? '') : '',
    }),
  ];
  yield `${COLUMNS.join(',')}\r\n`;
  for (const r of rows) yield `${COLUMNS.map((c) => csvCell(r[c])).join(',')}\r\n`;
}

function commandDetail(command: CommandRecord | undefined, extra: readonly string[]): string {
  if (!command) return '';
  return [
    `session ${command.sessionId}`,
    command.ruleIds.length ? `rules ${command.ruleIds.join(' ')}` : '',
    command.risk ? `risk ${command.risk}` : '',
    command.exitStatus !== undefined ? `exit ${command.exitStatus}` : '',
    extra.length ? `not planned: ${extra.join(' | ')}` : '',
    command.reason ? `reason: ${command.reason}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}
