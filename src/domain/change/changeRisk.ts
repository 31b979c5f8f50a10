import type { OpaqueHandling, Risk } from '../policy/policy.js';
import type { RuleSet } from '../rules/ruleSet.js';
import { evaluateLine } from '../rules/evaluateLine.js';
import { highestRisk } from '../rules/verdict.js';
import { plannedScriptLines } from '../scriptAudit/scriptAudit.js';
import type { ShellParser } from '../shell/shellParser.js';
import type { Change } from './change.js';

export interface PlannedLineRisk {
  readonly lineNo: number;
  readonly text: string;
  readonly risk: Risk;
  readonly ruleIds: readonly string[];
}

export interface ChangeRiskAssessment {
  /** The highest criticality among the rules the planned script matches; null when none does. */
  readonly risk: Risk | null;
  /** Only the lines some rule matched. */
  readonly lines: readonly PlannedLineRisk[];
}

const RISK_ORDER: Readonly<Record<Risk, number>> = { low: 0, medium: 1, high: 2 };

export function riskAtLeast(risk: Risk | null, threshold: Risk): boolean {
  return risk !== null && RISK_ORDER[risk] >= RISK_ORDER[threshold];
}

/**
 * How risky a change is before it runs: its planned script judged by the rules that will
 * apply to the requester's sessions on each of its devices, as the proxy will judge them.
 */
export function assessChangeRisk(
  change: Pick<Change, 'script' | 'requester' | 'group' | 'devices'>,
  rules: RuleSet,
  parser: ShellParser,
  options: { opaque: OpaqueHandling },
): ChangeRiskAssessment {
  const scoped = change.devices.map((device) => rules.forContext({ user: change.requester, group: change.group, device }));
  let risk: Risk | null = null;
  const lines: PlannedLineRisk[] = [];
  for (const line of plannedScriptLines(change.script)) {
    const parsed = parser.parse(line.text);
    let lineRisk: Risk | null = null;
    const ruleIds = new Set<string>();
    for (const set of scoped) {
      const evaluation = evaluateLine(set, parsed, options);
      lineRisk = highestRisk(lineRisk, evaluation.risk);
      for (const compiled of evaluation.matchedRules) ruleIds.add(compiled.rule.id);
    }
    if (lineRisk !== null) lines.push({ lineNo: line.lineNo, text: line.text, risk: lineRisk, ruleIds: [...ruleIds] });
    risk = highestRisk(risk, lineRisk);
  }
  return { risk, lines };
}
