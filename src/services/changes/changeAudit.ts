import type { Change } from '../../domain/change/change.js';
import type { ParsedLine } from '../../domain/shell/simpleCommand.js';
import { auditScript, plannedScriptLines, type ScriptAudit } from '../../domain/scriptAudit/scriptAudit.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { Session } from '../../domain/session/session.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { loadChange } from './changeWriter.js';

export interface ChangeAuditReport {
  readonly change: Change;
  readonly sessions: readonly Session[];
  readonly commands: readonly CommandRecord[];
  readonly audit: ScriptAudit;
}

/** What actually runs: wrappers (`sudo`, `env`...) are how, not what, so the plan is compared without them. */
export function effectiveCommands(parsed: ParsedLine): string[] {
  return parsed.commands.filter((c) => !c.wrapper).map((c) => c.text);
}

/** The planned script against what ran in the change's sessions. */
export async function computeChangeAudit(deps: ServiceDeps, code: string): Promise<ChangeAuditReport> {
  const change = await loadChange(deps, code);
  const [sessions, commands, deviations] = await Promise.all([
    deps.store.sessions.listByChange(change.code),
    deps.store.commands.listByChange(change.code),
    deps.store.deviations.listByChange(change.code),
  ]);
  // Commands that ran because an approver allowed them once: approved deviations, not extras.
  const approvedBy = new Map(deviations.filter((d) => d.status === 'allowed').map((d) => [d.commandId, d.decidedBy]));
  const planned = plannedScriptLines(change.script).map((line) => ({
    ...line,
    commands: effectiveCommands(deps.parser.parse(line.text)),
  }));
  const executed = commands.map((record) => ({
    ref: record.id,
    sessionId: record.sessionId,
    at: record.at,
    line: record.line,
    commands: record.effective,
    verdict: record.verdict,
    approvedBy: record.verdict === 'allow' ? approvedBy.get(record.id) : undefined,
  }));
  return { change, sessions, commands, audit: auditScript(planned, executed) };
}
