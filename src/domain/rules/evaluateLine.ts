import type { OpaqueHandling, Risk } from '../policy/policy.js';
import { KNOWN_PROGRAMS } from '../shell/knownPrograms.js';
import { opaqueProgramReason, SHELLS } from '../shell/programKinds.js';
import type { ParsedLine, SimpleCommand } from '../shell/simpleCommand.js';
import { isKnownWrapper } from '../shell/wrappers.js';
import { passesScreen } from './patternScreen.js';
import type { CompiledRule, RuleSet } from './ruleSet.js';
import { describeUnsafeCharacter, findUnsafeCharacter } from '../validation/unsafeText.js';
import { FORCE_RULE_ID, OPAQUE_RULE_ID, TAMPER_RULE_ID, UNREADABLE_RULE_ID, highestRisk, mostSevere, type Verdict } from './verdict.js';

export interface CommandEvaluation {
  readonly command: SimpleCommand;
  readonly verdict: Verdict;
  /** Policy rules that matched this command, in policy order. */
  readonly matched: readonly CompiledRule[];
  /** Why a non-allow verdict was given, for the user. */
  readonly reason: string | undefined;
  /** Set when the verdict comes from no rule: `(opaque)`, `(force)` or `(tamper)`. */
  readonly pseudoRule?: string | undefined;
  /** An allowed command a `review` rule matched: it runs only as an approved deviation (or when planned). */
  readonly review?: CompiledRule | undefined;
}

export interface LineEvaluation {
  readonly line: string;
  readonly verdict: Verdict;
  /** Ids of every rule that matched any command (plus `(opaque)` / `(force)` / `(tamper)` refusals). */
  readonly ruleIds: readonly string[];
  readonly matchedRules: readonly CompiledRule[];
  readonly risk: Risk | null;
  readonly commands: readonly CommandEvaluation[];
  /** The first reason that stopped the line, shown to the user. */
  readonly reason: string | undefined;
  /** True when the line tampers with changeguard's check: the session is cut whatever the rules say. */
  readonly tampering: boolean;
  /**
   * Ids of the `review` rules that matched commands the line would otherwise run (empty when
   * the line is refused anyway): an allowed line with reviews needs an approver's decision
   * unless it is in the change's approved script (domain/deviation/deviationRequest.ts).
   */
  readonly reviewRuleIds: readonly string[];
}

export interface EvaluationOptions {
  readonly opaque: OpaqueHandling;
}

/**
 * A line's verdict is the most severe over all its simple commands. A line holding control
 * characters or bidirectional overrides is refused whatever the rules say: the record, read by
 * people in a browser or a terminal, would show another command than the one that ran.
 */
export function evaluateLine(rules: RuleSet, parsed: ParsedLine, options: EvaluationOptions): LineEvaluation {
  const unsafe = findUnsafeCharacter(parsed.line, { multiline: true });
  if (unsafe !== null) {
    const reason = `the command ${describeUnsafeCharacter(unsafe)}; it was not run`;
    return { line: parsed.line, verdict: 'block', ruleIds: [UNREADABLE_RULE_ID], matchedRules: [], risk: 'medium', commands: [], reason, tampering: false, reviewRuleIds: [] };
  }
  const commands = parsed.commands.map((command) => evaluateCommand(rules, command, options));
  let verdict: Verdict = 'allow';
  let risk: Risk | null = null;
  let reason: string | undefined;
  const ids: string[] = [];
  // The ids already in `ids`: a broad policy matches dozens of rules per command.
  const seen = new Set<string>();
  const matchedRules: CompiledRule[] = [];
  for (const evaluation of commands) {
    if (evaluation.verdict !== 'allow' && mostSevere(verdict, evaluation.verdict) !== verdict) {
      reason = evaluation.reason;
    }
    verdict = mostSevere(verdict, evaluation.verdict);
    for (const compiled of evaluation.matched) {
      risk = highestRisk(risk, compiled.rule.risk);
      if (!seen.has(compiled.rule.id)) {
        seen.add(compiled.rule.id);
        ids.push(compiled.rule.id);
        matchedRules.push(compiled);
      }
    }
    if (evaluation.pseudoRule !== undefined && !seen.has(evaluation.pseudoRule)) {
      seen.add(evaluation.pseudoRule);
      ids.push(evaluation.pseudoRule);
    }
  }
  const tampering = commands.some((c) => c.pseudoRule === TAMPER_RULE_ID);
  if (tampering) risk = 'high';
  const reviewRuleIds = verdict === 'allow' ? [...new Set(commands.flatMap((c) => (c.review ? [c.review.rule.id] : [])))] : [];
  return { line: parsed.line, verdict, ruleIds: ids, matchedRules, risk, commands, reason, tampering, reviewRuleIds };
}

export function evaluateCommand(rules: RuleSet, command: SimpleCommand, options: EvaluationOptions): CommandEvaluation {
  if (command.tampering !== undefined) {
    return {
      command,
      verdict: 'interrupt',
      matched: [],
      reason: `"${command.text}" would switch off changeguard's command check (${command.tampering})`,
      pseudoRule: TAMPER_RULE_ID,
    };
  }
  const candidates = rules.candidates(command.program);
  const screenPassed = passesScreen(candidates.screen, command.text);
  const matched: CompiledRule[] = [];
  for (const compiled of candidates.rules) if (matches(compiled, command, screenPassed)) matched.push(compiled);
  const byAction = (action: string) => matched.find((c) => c.rule.action === action);

  const interrupt = byAction('interrupt');
  if (interrupt) return { command, verdict: 'interrupt', matched, reason: describe(interrupt, command) };
  const block = byAction('block');
  if (block) return { command, verdict: 'block', matched, reason: describe(block, command) };

  const opacity = opacityOf(rules, command, matched);
  // An allow or force rule cannot vouch for an opaque command: what runs is unknown until it
  // runs. Only a rule naming a program explicitly vouches for what that program does inside.
  if (opacity !== undefined && options.opaque === 'block') {
    return { command, verdict: 'block', matched, reason: `"${command.text}" cannot be judged before it runs: ${opacity}`, pseudoRule: OPAQUE_RULE_ID };
  }
  // Force makes the policy an allow-list; wrappers are transparent, what they run is checked.
  if (rules.forceActive && !command.wrapper && !byAction('force')) {
    return {
      command,
      verdict: 'block',
      matched,
      reason: `"${command.text}" is not in the list of commands allowed for this session`,
      pseudoRule: FORCE_RULE_ID,
    };
  }
  // Review narrows allow: the command may run, once an approver agrees (or the plan has it).
  return { command, verdict: 'allow', matched, reason: undefined, review: byAction('review') };
}

/** Why the command is opaque, or undefined when it can be judged (or a rule vouches for it). */
function opacityOf(rules: RuleSet, command: SimpleCommand, matched: readonly CompiledRule[]): string | undefined {
  if (command.opaque) {
    if (command.opaqueKind === 'program' && vouched(command, matched)) return undefined;
    return command.opaqueReason ?? 'computed program name or shell fed from a pipe';
  }
  // A program the engine does not know, handed a refused program or a shell as an argument,
  // may be a wrapper that runs it (`setpriv --reuid=0 rm x`).
  if (command.program === '' || command.wrapper || KNOWN_PROGRAMS.has(command.program) || isKnownWrapper(command.program)) return undefined;
  if (opaqueProgramReason(command.program, command.args) !== undefined) return undefined;
  const runnable = command.args.find((a) => !a.startsWith('-') && (SHELLS.has(a) || rules.refusesProgram(a)));
  if (runnable === undefined || vouched(command, matched)) return undefined;
  return `${command.program} is not known to changeguard and may run ${runnable}`;
}

/** An allow or force rule that names this program in `command:` accepts what it does inside. */
function vouched(command: SimpleCommand, matched: readonly CompiledRule[]): boolean {
  return matched.some((c) => (c.rule.action === 'allow' || c.rule.action === 'force') && c.rule.command?.includes(command.program) === true);
}

/** `screenPassed`: false when the candidates' screen ruled out every screenable pattern for this command. */
function matches(compiled: CompiledRule, command: SimpleCommand, screenPassed: boolean): boolean {
  const { rule, regex } = compiled;
  if (rule.command !== undefined && !rule.command.includes(command.program)) return false;
  if (regex !== undefined) {
    if (compiled.screenable && !screenPassed) return false;
    regex.lastIndex = 0;
    if (!regex.test(command.text)) return false;
  }
  return true;
}

function describe(compiled: CompiledRule, command: SimpleCommand): string {
  return compiled.rule.message ?? `"${command.text}" is not permitted (rule ${compiled.rule.id})`;
}
