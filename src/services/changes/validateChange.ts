import type { Change } from '../../domain/change/change.js';
import type { Risk } from '../../domain/policy/policy.js';
import { evaluateLine } from '../../domain/rules/evaluateLine.js';
import type { Verdict } from '../../domain/rules/verdict.js';
import { plannedScriptLines } from '../../domain/scriptAudit/scriptAudit.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { ChangeInput } from './changeInput.js';
import { checkChangeInput } from './registerChange.js';
import { viewChange } from './viewChange.js';
import { webApprovalRequirement, type WebApprovalRequirement } from './webApprovalRequirement.js';

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
  return { change, ...(await judgePlannedScript(deps, change)) };
}

/** What the preflight of a change not filed yet finds: the same checks, plus the filing rules. */
export interface DraftValidation {
  readonly linesChecked: number;
  readonly findings: readonly ValidationFinding[];
  /** The highest risk among the rules the script matches, and whether only a web approval will do. */
  readonly webApproval: WebApprovalRequirement;
  /** The change code is free now (it may still be taken by the time the change is filed). */
  readonly codeTaken: boolean;
}

/**
 * The web form's preflight: refuses what filing would refuse (field by field), then judges the
 * script as validateChange judges a filed one. Writes nothing.
 */
export async function validateChangeDraft(deps: ServiceDeps, input: ChangeInput, actor: Actor): Promise<DraftValidation> {
  const value = await checkChangeInput(deps, input, actor);
  const plan = { script: value.script, requester: actor.userId, group: value.group, devices: [...new Set(value.devices)] };
  const [judged, webApproval, taken] = await Promise.all([
    judgePlannedScript(deps, plan),
    webApprovalRequirement(deps, plan),
    value.code === undefined ? Promise.resolve(null) : deps.store.changes.findByCode(value.code),
  ]);
  return { ...judged, webApproval, codeTaken: taken !== null };
}

/** The planned script through the rules of each server, as the requester's sessions will meet them. */
async function judgePlannedScript(
  deps: ServiceDeps,
  change: Pick<Change, 'script' | 'requester' | 'group' | 'devices'>,
): Promise<{ linesChecked: number; findings: ValidationFinding[] }> {
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
  return { linesChecked: lines.length, findings };
}
