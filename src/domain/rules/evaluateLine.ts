import type { Risk } from '../policy/policy.js';
import type { ParsedLine, SimpleCommand } from '../shell/simpleCommand.js';
import type { OpaqueHandling } from '../policy/policy.js';
import type { CompiledRule, RuleSet } from './ruleSet.js';
import { FORCE_RULE_ID, OPAQUE_RULE_ID, highestRisk, mostSevere, type Verdict } from './verdict.js';

export interface CommandEvaluation {
  readonly command: SimpleCommand;
  readonly verdict: Verdict;
  /** Policy rules that matched this command, in policy order. */
  readonly matched: readonly CompiledRule[];
  /** Why a non-allow verdict was given, for the user. */
  readonly reason: string | undefined;
}

export interface LineEvaluation {
  readonly line: string;
  readonly verdict: Verdict;
  /** Ids of every rule that matched any command (plus `(opaque)` / `(force)` refusals). */
  readonly ruleIds: readonly string[];
  readonly matchedRules: readonly CompiledRule[];
  readonly risk: Risk | null;
  readonly commands: readonly CommandEvaluation[];
  /** The first reason that stopped the line, shown to the user. */
  readonly reason: string | undefined;
}

export interface EvaluationOptions {
  readonly opaque: OpaqueHandling;
}

/** A line's verdict is the most severe over all its simple commands. */
export function evaluateLine(rules: RuleSet, parsed: ParsedLine, options: EvaluationOptions): LineEvaluation {
  const commands = parsed.commands.map((command) => evaluateCommand(rules, command, options));
  let verdict: Verdict = 'allow';
  let risk: Risk | null = null;
  let reason: string | undefined;
  const ids: string[] = [];
  const matchedRules: CompiledRule[] = [];
  for (const evaluation of commands) {
    if (evaluation.verdict !== 'allow' && mostSevere(verdict, evaluation.verdict) !== verdict) {
      reason = evaluation.reason;
    }
    verdict = mostSevere(verdict, evaluation.verdict);
    for (const compiled of evaluation.matched) {
      risk = highestRisk(risk, compiled.rule.risk);
      if (!ids.includes(compiled.rule.id)) {
        ids.push(compiled.rule.id);
        matchedRules.push(compiled);
      }
    }
    if (evaluation.matched.length === 0 && evaluation.verdict !== 'allow') {
      const pseudo = evaluation.command.opaque ? OPAQUE_RULE_ID : FORCE_RULE_ID;
      if (!ids.includes(pseudo)) ids.push(pseudo);
    }
  }
  return { line: parsed.line, verdict, ruleIds: ids, matchedRules, risk, commands, reason };
}

function evaluateCommand(rules: RuleSet, command: SimpleCommand, options: EvaluationOptions): CommandEvaluation {
  const matched = rules.candidates(command.program).filter((compiled) => matches(compiled, command));
  const byAction = (action: string) => matched.find((c) => c.rule.action === action);

  const interrupt = byAction('interrupt');
  if (interrupt) return { command, verdict: 'interrupt', matched, reason: describe(interrupt, command) };
  const block = byAction('block');
  if (block) return { command, verdict: 'block', matched, reason: describe(block, command) };

  // An allow or force rule cannot vouch for an opaque command: what runs is unknown until it runs.
  if (command.opaque && options.opaque === 'block') {
    return {
      command,
      verdict: 'block',
      matched,
      reason: `"${command.text}" cannot be judged before it runs (computed program name or shell fed from a pipe)`,
    };
  }
  // Force makes the policy an allow-list; wrappers are transparent, what they run is checked.
  if (rules.forceActive && !command.wrapper && !byAction('force')) {
    return {
      command,
      verdict: 'block',
      matched,
      reason: `"${command.text}" is not in the list of commands allowed for this session`,
    };
  }
  return { command, verdict: 'allow', matched, reason: undefined };
}

function matches(compiled: CompiledRule, command: SimpleCommand): boolean {
  const { rule, regex } = compiled;
  if (rule.command !== undefined && !rule.command.includes(command.program)) return false;
  if (regex !== undefined) {
    regex.lastIndex = 0;
    if (!regex.test(command.text)) return false;
  }
  return true;
}

function describe(compiled: CompiledRule, command: SimpleCommand): string {
  return compiled.rule.message ?? `"${command.text}" is not permitted (rule ${compiled.rule.id})`;
}
