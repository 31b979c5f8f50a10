import { randomUUID } from 'node:crypto';
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
 * Judges one command line of a session against the rules in scope, stores it, audits it,
 * counts interrupt attempts and locks the user when a rule's `lockAfter` is reached.
 */
export async function judgeCommand(
  deps: ServiceDeps,
  scope: SessionScope,
  line: string,
  source: 'shell' | 'exec',
  workingDirectory?: string,
): Promise<Judgement> {
  const { session } = scope;
  const snapshot = await deps.policies.current();
  const rules = snapshot.rules.forContext({ user: session.user, group: scope.group, device: session.device });
  const parsed = judgeWritesFrom(deps.parser.parse(line), workingDirectory);
  const evaluation = evaluateLine(rules, parsed, { opaque: snapshot.policy.settings.opaque });
  const resolution = resolveInterrupt(evaluation, scope.interruptAttempts);
  for (const [rule, count] of resolution.attempts) scope.interruptAttempts.set(rule, count);
  const verdict = resolution.verdict;

  const record: CommandRecord = {
    id: randomUUID(),
    sessionId: session.id,
    changeCode: session.changeCode,
    user: session.user,
    device: session.device,
    at: deps.clock(),
    source,
    line,
    commands: parsed.commands.map((c) => c.text),
    effective: effectiveCommands(parsed),
    verdict,
    ruleIds: evaluation.ruleIds,
    risk: evaluation.risk,
    reason: evaluation.reason,
  };
  await storeCommandRecord(deps, session, record, `${verdict}${evaluation.ruleIds.length ? ` by ${evaluation.ruleIds.join(', ')}` : ''}`);

  const lockedBy = await lockIfRepeated(deps, session, evaluation, record);
  const message =
    verdict === 'allow'
      ? undefined
      : verdict === 'interrupt'
        ? `${evaluation.reason ?? 'command not permitted'}: the session is closed`
        : evaluation.reason ?? 'command not permitted';
  return { verdict, evaluation, record, lockedBy, message };
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
