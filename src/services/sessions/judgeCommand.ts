import { judgeWritesFrom } from '../../domain/shell/workingDirectoryWrites.js';
import { evaluateLine, type LineEvaluation } from '../../domain/rules/evaluateLine.js';
import { resolveInterrupt } from '../../domain/rules/interruptAttempts.js';
import type { Verdict } from '../../domain/rules/verdict.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { Session } from '../../domain/session/session.js';
import { systemActor } from '../actor.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { storeCommandRecord } from './storeCommandRecord.js';
import { effectiveCommands } from '../changes/changeAudit.js';
import { lockUser } from './sessionControl.js';
import { reviewPath } from '../../domain/deviation/deviationRequest.js';
import { plannedScriptLines } from '../../domain/scriptAudit/scriptAudit.js';
import { newCommandRecord } from './newCommandRecord.js';

export interface SessionScope {
  readonly session: Session;
  /** The change's access group: rules may be scoped to it. */
  readonly group: string;
  /** Interrupt-rule attempts already made in this session, by rule id. */
  readonly interruptAttempts: Map<string, number>;
}

export interface Judgement {
  /** What the caller must do: forward (allow), drop the line (block), end the session (interrupt). */
  readonly verdict: Verdict;
  readonly evaluation: LineEvaluation;
  readonly record: CommandRecord;
  /** Set when this command tipped a `lockAfter` rule: the user is now locked. */
  readonly lockedBy: string | undefined;
  /** What to tell the user when the line does not run. */
  readonly message: string | undefined;
}

/**
 * An allowed line that `review` rules matched, not in the change's approved script, during its
 * window: it runs only once an approver allows it (services/deviations). Nothing is stored
 * yet: `record` (verdict allow) is what is stored once the request is settled, under its id.
 */
export interface ReviewNeeded {
  readonly verdict: 'review';
  readonly evaluation: LineEvaluation;
  readonly record: CommandRecord;
  readonly reviewRuleIds: readonly string[];
}

/**
 * Judges one command line of a session against the rules in scope, stores it, audits it,
 * counts interrupt attempts and locks the user when a rule's `lockAfter` is reached. A line
 * that would need an approver's decision is refused here (exec, sftp: nothing can wait at a
 * prompt); the interactive prompt uses judgePromptCommand, which may wait.
 */
export async function judgeCommand(
  deps: ServiceDeps,
  scope: SessionScope,
  line: string,
  source: 'shell' | 'exec',
  workingDirectory?: string,
): Promise<Judgement> {
  return (await judge(deps, scope, line, source, false, workingDirectory)) as Judgement;
}

/** As judgeCommand, for a line typed at the interactive prompt: a line needing review comes back as ReviewNeeded, unstored. */
export async function judgePromptCommand(deps: ServiceDeps, scope: SessionScope, line: string, workingDirectory?: string): Promise<Judgement | ReviewNeeded> {
  return judge(deps, scope, line, 'shell', true, workingDirectory);
}

async function judge(
  deps: ServiceDeps,
  scope: SessionScope,
  line: string,
  source: 'shell' | 'exec',
  canWait: boolean,
  workingDirectory: string | undefined,
): Promise<Judgement | ReviewNeeded> {
  const { session } = scope;
  const snapshot = await deps.policies.current();
  const rules = snapshot.rules.forContext({ user: session.user, group: scope.group, device: session.device });
  const parsed = judgeWritesFrom(deps.parser.parse(line), workingDirectory);
  const evaluation = evaluateLine(rules, parsed, { opaque: snapshot.policy.settings.opaque });
  const resolution = resolveInterrupt(evaluation, scope.interruptAttempts);
  for (const [rule, count] of resolution.attempts) scope.interruptAttempts.set(rule, count);
  let verdict = resolution.verdict;
  let reason = evaluation.reason;
  const effective = effectiveCommands(parsed);
  const commands = parsed.commands.map((c) => c.text);

  if (verdict === 'allow' && evaluation.reviewRuleIds.length > 0) {
    const path = await reviewPathOf(deps, session.changeCode, effective);
    const rulesWord = `rule ${evaluation.reviewRuleIds.join(', ')}`;
    if (path === 'ask' && canWait) {
      const record = newCommandRecord(deps, session, { source, line, commands, effective, verdict: 'allow', ruleIds: evaluation.ruleIds, risk: evaluation.risk });
      return { verdict: 'review', evaluation, record, reviewRuleIds: evaluation.reviewRuleIds };
    }
    if (path !== 'run') {
      verdict = 'block';
      reason =
        path === 'ask'
          ? `"${line}" is not in the approved script and needs an approver's decision (${rulesWord}): type it at an interactive prompt to ask for one`
          : `"${line}" needs an approver's decision (${rulesWord}) and no change window is open to ask in`;
    }
  }

  const record = newCommandRecord(deps, session, { source, line, commands, effective, verdict, ruleIds: evaluation.ruleIds, risk: evaluation.risk, reason });
  await storeCommandRecord(deps, session, record, `${verdict}${evaluation.ruleIds.length ? ` by ${evaluation.ruleIds.join(', ')}` : ''}`);

  const lockedBy = await lockIfRepeated(deps, session, evaluation, record);
  const message =
    verdict === 'allow'
      ? undefined
      : verdict === 'interrupt'
        ? `${reason ?? 'command not permitted'}: the session is closed`
        : reason ?? 'command not permitted';
  return { verdict, evaluation, record, lockedBy, message };
}

/** Whether a reviewed line is planned, may be asked about, or is refused (domain/deviation). */
async function reviewPathOf(deps: ServiceDeps, changeCode: string, effective: readonly string[]): Promise<'run' | 'ask' | 'refuse'> {
  const change = await deps.store.changes.findByCode(changeCode);
  if (!change) return 'refuse';
  const planned = new Set(plannedScriptLines(change.script).flatMap((l) => effectiveCommands(deps.parser.parse(l.text))));
  return reviewPath(change, deps.clock(), effective, planned);
}

async function lockIfRepeated(deps: ServiceDeps, session: Session, evaluation: LineEvaluation, record: CommandRecord): Promise<string | undefined> {
  for (const compiled of evaluation.matchedRules) {
    const limit = compiled.rule.lockAfter;
    if (limit === undefined) continue;
    const count = await deps.store.commands.countRuleMatches(session.user, compiled.rule.id);
    if (count < limit) continue;
    // Locked already (by an earlier match or by security): nothing more to record.
    if (await deps.store.accounts.findLock(session.user)) return compiled.rule.id;
    const reason = `rule ${compiled.rule.id} matched ${count} times (lock after ${limit})`;
    // The lock, its record and the alert naming the user (with Unlock and Terminate) are one write.
    await lockUser(deps, session.user, systemActor('proxy'), reason, {
      change: session.changeCode,
      session: { id: session.id, user: session.user, device: session.device, clientAddress: session.clientAddress, justification: session.justification || undefined },
      command: { line: record.line, verdict: record.verdict, rules: record.ruleIds, risk: record.risk, reason: record.reason },
    });
    return compiled.rule.id;
  }
  return undefined;
}
