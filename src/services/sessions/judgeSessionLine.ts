import { judgeWritesFrom } from '../../domain/shell/workingDirectoryWrites.js';
import { evaluateLine } from '../../domain/rules/evaluateLine.js';
import { resolveInterrupt } from '../../domain/rules/interruptAttempts.js';
import { OPAQUE_RULE_ID, TRANSFER_RULE_ID } from '../../domain/rules/verdict.js';
import { transferServer } from '../../domain/shell/fileTransfer.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { assessRiskTally, tallyCommand } from '../../domain/session/sessionRisk.js';
import { readsCommandsFromConnection } from '../../domain/session/execInput.js';
import { effectiveCommands } from '../changes/changeAudit.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { judgeCommand, judgePromptCommand, type Judgement, type ReviewNeeded } from './judgeCommand.js';
import type { LiveSession } from './liveSession.js';
import type { SessionAlerts } from './sessionAlerts.js';
import { storeCommandRecord } from './storeCommandRecord.js';
import { newCommandRecord } from './newCommandRecord.js';

/**
 * What the proxy does when the store cannot record a command: `block` (the default) refuses
 * every command until it is back; `allow` judges against the last policy read and lets
 * allowed commands run unrecorded (the proxy logs them instead).
 */
export type StoreOutageHandling = 'block' | 'allow';

export interface SessionJudgement extends Judgement {
  /** False when the store could not record it (store outage). */
  readonly stored: boolean;
}

export const STORE_OUTAGE_MESSAGE = 'changeguard cannot record commands right now (its store is unreachable): the command is blocked';

/**
 * Judges a line submitted at the shell's prompt (or an exec command): stores and audits it
 * (judgeCommand), raises block / interrupt / high-criticality / lock alerts, and the
 * high-risk session alert the first time the session's commands make it one.
 */
export async function judgeSessionLine(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  live: LiveSession,
  line: string,
  source: 'shell' | 'exec',
  outage: StoreOutageHandling = 'block',
): Promise<SessionJudgement> {
  let judgement: Judgement;
  try {
    live.lastPolicy = await deps.policies.current();
    judgement = await judgeCommand(deps, live.scope, line, source, live.workingDirectory);
  } catch (error) {
    return judgeDuringOutage(deps, live, line, source, outage, error);
  }
  afterJudgement(alerts, live, judgement);
  return { ...judgement, stored: true };
}

/**
 * A line typed at the interactive prompt: judged as judgeSessionLine does, except that a line
 * needing an approver's decision comes back unstored (ReviewNeeded), for the prompt to wait
 * on (reviewSessionLine.ts).
 */
export async function judgePromptLine(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  live: LiveSession,
  line: string,
  outage: StoreOutageHandling = 'block',
): Promise<SessionJudgement | ReviewNeeded> {
  let judgement: Judgement | ReviewNeeded;
  try {
    live.lastPolicy = await deps.policies.current();
    judgement = await judgePromptCommand(deps, live.scope, line, live.workingDirectory);
  } catch (error) {
    return judgeDuringOutage(deps, live, line, 'shell', outage, error);
  }
  if (judgement.verdict === 'review') return judgement;
  afterJudgement(alerts, live, judgement);
  return { ...judgement, stored: true };
}

/**
 * Exec commands are judged like prompt lines, and also refused when they would start a shell
 * that reads its commands from the connection (`ssh proxy bash`, `sudo -s`): what it then
 * runs would never pass through a prompt. Interactive sessions are the way to a shell.
 */
export async function judgeExecCommand(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  live: LiveSession,
  line: string,
  outage: StoreOutageHandling = 'block',
): Promise<SessionJudgement> {
  const parsed = deps.parser.parse(line);
  const shell = parsed.commands.find(readsCommandsFromConnection);
  if (shell) {
    const reason = `"${shell.text}" would read commands from the connection, which changeguard cannot judge: open an interactive session instead`;
    return refuseBeforeJudging(deps, alerts, live, line, OPAQUE_RULE_ID, reason);
  }
  const transfer = transferServer(parsed);
  if (transfer !== undefined) {
    let allowed: boolean;
    try {
      allowed = (await deps.policies.current()).policy.settings.fileTransfer === 'allow';
    } catch {
      allowed = false;
    }
    if (!allowed) {
      const reason = `file transfer (${transfer.program}) through changeguard is off: the policy's settings.fileTransfer must be allow, and each transfer is then judged and recorded`;
      return refuseBeforeJudging(deps, alerts, live, line, TRANSFER_RULE_ID, reason);
    }
  }
  return judgeSessionLine(deps, alerts, live, line, 'exec', outage);
}

/** An exec command refused for what it is, whatever the rules: stored, audited, alerted. */
async function refuseBeforeJudging(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  live: LiveSession,
  line: string,
  ruleId: string,
  reason: string,
): Promise<SessionJudgement> {
  const parsed = deps.parser.parse(line);
  const record = newCommandRecord(deps, live.scope.session, {
    source: 'exec',
    line,
    commands: parsed.commands.map((c) => c.text),
    effective: effectiveCommands(parsed),
    verdict: 'block',
    ruleIds: [ruleId],
    risk: null,
    reason,
  });
  try {
    await storeCommandRecord(deps, live.scope.session, record, `block by ${ruleId}`);
  } catch {
    return { verdict: 'block', evaluation: evaluationOf(line), record, lockedBy: undefined, message: STORE_OUTAGE_MESSAGE, stored: false };
  }
  const judgement: Judgement = { verdict: 'block', evaluation: evaluationOf(line), record, lockedBy: undefined, message: reason };
  afterJudgement(alerts, live, judgement);
  return { ...judgement, stored: true };
}

/**
 * A line typed into a running program (not at the shell's prompt) may still be a shell's
 * input (`sudo -i`, `su -`, a shell without changeguard's prompt markers). It is checked
 * against the block and interrupt rules only, as a command would be; the allow-list (force)
 * and the opaque setting apply to prompt lines only, since most such lines are data (a
 * confirmation, SQL, a REPL). Returns null when the line may go through unrecorded.
 */
export async function checkProgramInput(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  live: LiveSession,
  line: string,
  outage: StoreOutageHandling = 'block',
): Promise<SessionJudgement | null> {
  if (line.trim() === '') return null;
  let denied: boolean;
  try {
    const snapshot = await deps.policies.current();
    live.lastPolicy = snapshot;
    const rules = snapshot.rules.forContext({ user: live.scope.session.user, group: live.scope.group, device: live.scope.session.device });
    const evaluation = evaluateLine(rules, deps.parser.parse(line), { opaque: 'allow' });
    denied = evaluation.matchedRules.some((c) => c.rule.action === 'block' || c.rule.action === 'interrupt');
  } catch (error) {
    return judgeDuringOutage(deps, live, line, 'shell', outage, error);
  }
  return denied ? judgeSessionLine(deps, alerts, live, line, 'shell', outage) : null;
}

/** The alerts a stored judgement raises, and the session's risk tally. */
export function afterJudgement(alerts: SessionAlerts, live: LiveSession, judgement: Judgement): void {
  live.riskTally = tallyCommand(live.riskTally, judgement.record);
  alerts.commandJudged(live.change, live.scope.session, judgement);
  if (!live.highRiskRaised) {
    const assessment = assessRiskTally(live.riskTally);
    if (assessment.risk === 'high') {
      live.highRiskRaised = true;
      alerts.highRisk(live.change, live.scope.session, assessment);
    }
  }
}

function judgeDuringOutage(
  deps: ServiceDeps,
  live: LiveSession,
  line: string,
  source: 'shell' | 'exec',
  outage: StoreOutageHandling,
  cause: unknown,
): SessionJudgement {
  const snapshot = live.lastPolicy;
  const parsed = judgeWritesFrom(deps.parser.parse(line), live.workingDirectory);
  // Refused until the branches below decide otherwise.
  const base = newCommandRecord(deps, live.scope.session, { source, line, commands: parsed.commands.map((c) => c.text), effective: effectiveCommands(parsed), verdict: 'block', ruleIds: [], risk: null });
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (outage === 'block' || snapshot === undefined) {
    const record: CommandRecord = { ...base, verdict: 'block', ruleIds: [], risk: null, reason: `store unreachable: ${detail}` };
    return { verdict: 'block', evaluation: evaluationOf(line), record, lockedBy: undefined, message: STORE_OUTAGE_MESSAGE, stored: false };
  }
  const rules = snapshot.rules.forContext({ user: live.scope.session.user, group: live.scope.group, device: live.scope.session.device });
  const evaluation = evaluateLine(rules, parsed, { opaque: snapshot.policy.settings.opaque });
  const resolution = resolveInterrupt(evaluation, live.scope.interruptAttempts);
  for (const [rule, count] of resolution.attempts) live.scope.interruptAttempts.set(rule, count);
  // A line that needs an approver's decision cannot be asked about without the store: refused.
  const unreviewable = resolution.verdict === 'allow' && evaluation.reviewRuleIds.length > 0;
  const verdict = unreviewable ? 'block' : resolution.verdict;
  const reason = unreviewable ? `"${line}" needs an approver's decision (rule ${evaluation.reviewRuleIds.join(', ')}) and changeguard cannot ask for one while its store is unreachable` : evaluation.reason;
  const record: CommandRecord = { ...base, verdict, ruleIds: evaluation.ruleIds, risk: evaluation.risk, reason };
  const message = verdict === 'allow' ? undefined : verdict === 'interrupt' ? `${reason ?? 'command not permitted'}: the session is closed` : reason ?? 'command not permitted';
  return { verdict, evaluation, record, lockedBy: undefined, message, stored: false };
}

function evaluationOf(line: string): Judgement['evaluation'] {
  return { line, verdict: 'block', ruleIds: [], matchedRules: [], risk: null, commands: [], reason: undefined, tampering: false, reviewRuleIds: [] };
}
