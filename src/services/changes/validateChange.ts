import type { Change } from '../../domain/change/change.js';
import type { Risk } from '../../domain/policy/policy.js';
import { evaluateLine } from '../../domain/rules/evaluateLine.js';
import type { Verdict } from '../../domain/rules/verdict.js';
import { plannedScriptLines } from '../../domain/scriptAudit/scriptAudit.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { viewChange } from './viewChange.js';

export interface ValidationFinding {
  readonly lineNo: number;
  readonly line: string;
  /** The servers on which the line would be stopped (rules may be scoped per device). */
  readonly devices: readonly string[];
  /** block: the line would not run. interrupt: an interrupt rule; the session is cut at its N-th attempt. */
  readonly verdict: Exclude<Verdict, 'allow'>;
  readonly ruleIds: readonly string[];
  readonly risk: Risk | null;
  readonly reason: string | undefined;
  /** For interrupt rules: the attempts after which the session is cut. */
  readonly attempts: number | undefined;
}

export interface ChangeValidation {
  readonly change: Change;
  readonly linesChecked: number;
  readonly findings: readonly ValidationFinding[];
}

/**
 * Preflight: runs the planned script through the rules as the proxy would for this change
 * (its requester, its group, each of its servers) and lists the lines that would be
 * blocked or interrupted, so the plan can be fixed before the window opens.
 */
export async function validateChange(deps: ServiceDeps, code: string, actor: Actor): Promise<ChangeValidation> {
  const change = await viewChange(deps, code, actor);
  const snapshot = await deps.policies.current();
  const lines = plannedScriptLines(change.script);
  const findings: ValidationFinding[] = [];
  for (const line of lines) {
    const parsed = deps.parser.parse(line.text);
    const byOutcome = new Map<string, ValidationFinding>();
    for (const device of change.devices) {
      const rules = snapshot.rules.forContext({ user: change.requester, group: change.group, device });
      const evaluation = evaluateLine(rules, parsed, { opaque: snapshot.policy.settings.opaque });
      if (evaluation.verdict === 'allow') continue;
      const interrupt = evaluation.matchedRules.find((c) => c.rule.action === 'interrupt');
      const key = `${evaluation.verdict}|${evaluation.ruleIds.join(',')}`;
      const seen = byOutcome.get(key);
      byOutcome.set(
        key,
        seen
          ? { ...seen, devices: [...seen.devices, device] }
          : {
              lineNo: line.lineNo,
              line: line.text,
              devices: [device],
              verdict: evaluation.verdict,
              ruleIds: evaluation.ruleIds,
              risk: evaluation.risk,
              reason: evaluation.reason,
              attempts: interrupt?.rule.attempts,
            },
      );
    }
    findings.push(...byOutcome.values());
  }
  return { change, linesChecked: lines.length, findings };
}
