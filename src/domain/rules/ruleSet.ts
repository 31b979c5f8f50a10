import type { PolicyRule, RuleScope } from '../policy/policy.js';
import { patternScreen, screenable } from './patternScreen.js';

export interface CompiledRule {
  readonly rule: PolicyRule;
  /** Position in the policy: reports list rules in policy order. */
  readonly order: number;
  readonly regex: RegExp | undefined;
  /** The pattern can join a screen (patternScreen.ts): its rule is skipped when the screen does not match. */
  readonly screenable: boolean;
}

/** The rules that may match a program's commands. */
export interface Candidates {
  /** In policy order. */
  readonly rules: readonly CompiledRule[];
  /**
   * Matches every command text that a screenable pattern among `rules` matches: a text it
   * does not match matches none of them. Undefined: test each pattern.
   */
  readonly screen: RegExp | undefined;
}

export interface RuleContext {
  readonly user?: string | undefined;
  readonly group?: string | undefined;
  readonly device?: string | undefined;
}

/**
 * Rules indexed for evaluation. A command is only tested against the rules that can match
 * its program: those naming it in `command`, those whose anchored pattern starts with it, and
 * the (usually few) pattern rules that could match any program.
 */
export class RuleSet {
  private readonly byProgram = new Map<string, CompiledRule[]>();
  private readonly anyProgram: CompiledRule[] = [];
  /**
   * A program's named rules merged with anyProgram in policy order, and their screen, built
   * the first time the program is judged: merging them again for every command (a sort of
   * ~100 rules) cost more than testing them. Bounded by the programs the policy names.
   */
  private readonly byProgramCandidates = new Map<string, Candidates>();
  private anyProgramCandidates: Candidates | undefined;
  /** True when a force rule is in scope: only forced commands may run. */
  readonly forceActive: boolean;
  private readonly scoped = new Map<string, RuleSet>();

  private constructor(
    readonly rules: readonly CompiledRule[],
    /** False: every rule is tried on every command (the reference the index must agree with). */
    private readonly indexed = true,
  ) {
    for (const compiled of rules) {
      const programs = compiled.rule.command ?? programsOfAnchoredPattern(compiled.rule.pattern);
      if (programs === undefined) {
        this.anyProgram.push(compiled);
        continue;
      }
      for (const program of programs) {
        const list = this.byProgram.get(program);
        if (list) list.push(compiled);
        else this.byProgram.set(program, [compiled]);
      }
    }
    this.forceActive = rules.some((c) => c.rule.action === 'force');
  }

  /** Compiles every pattern; throws with the rule id on an invalid expression. */
  static compile(rules: readonly PolicyRule[]): RuleSet {
    return new RuleSet(
      rules.map((rule, order) => compileRule(rule, order)),
    );
  }

  /**
   * The same rules without the index: every rule is tried on every command. Slow, and the
   * reference a property test holds the indexed engine to (indexing must never change a verdict).
   */
  static compileUnindexed(rules: readonly PolicyRule[]): RuleSet {
    return new RuleSet(
      rules.map((rule, order) => compileRule(rule, order)),
      false,
    );
  }

  /**
   * The rules that apply to one session's user, group and device. A scoped rule applies
   * only when every dimension it names contains the context's value. Memoised because a
   * session asks once per command.
   */
  forContext(context: RuleContext): RuleSet {
    const key = `${context.user ?? ''}\u0000${context.group ?? ''}\u0000${context.device ?? ''}`;
    let set = this.scoped.get(key);
    if (!set) {
      set = new RuleSet(this.rules.filter((c) => scopeMatches(c.rule.scope, context)), this.indexed);
      if (this.scoped.size > 1000) this.scoped.clear();
      this.scoped.set(key, set);
    }
    return set;
  }

  /**
   * True when some block or interrupt rule names this program (in `command:` or an anchored
   * pattern): an unknown program handed this name may run it.
   */
  refusesProgram(program: string): boolean {
    const named = this.byProgram.get(program);
    return named !== undefined && named.some((c) => c.rule.action === 'block' || c.rule.action === 'interrupt');
  }

  /** Candidate rules for a program. The unindexed set tries every rule, unscreened. */
  candidates(program: string): Candidates {
    if (!this.indexed) return { rules: this.rules, screen: undefined };
    const named = program === '' ? undefined : this.byProgram.get(program);
    if (!named) {
      this.anyProgramCandidates ??= screened(this.anyProgram);
      return this.anyProgramCandidates;
    }
    let candidates = this.byProgramCandidates.get(program);
    if (candidates === undefined) {
      candidates = screened(this.anyProgram.length === 0 ? named : mergeInOrder(named, this.anyProgram));
      this.byProgramCandidates.set(program, candidates);
    }
    return candidates;
  }
}

function screened(rules: readonly CompiledRule[]): Candidates {
  const patterns: string[] = [];
  for (const c of rules) if (c.screenable && c.rule.pattern !== undefined) patterns.push(c.rule.pattern);
  // Without a screen (none could be built), every pattern is tested.
  return { rules, screen: patternScreen(patterns) };
}

/** Two lists each in policy order (and without common rules), merged in policy order. */
function mergeInOrder(a: readonly CompiledRule[], b: readonly CompiledRule[]): CompiledRule[] {
  const merged: CompiledRule[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) merged.push((a[i] as CompiledRule).order < (b[j] as CompiledRule).order ? (a[i++] as CompiledRule) : (b[j++] as CompiledRule));
  while (i < a.length) merged.push(a[i++] as CompiledRule);
  while (j < b.length) merged.push(b[j++] as CompiledRule);
  return merged;
}

function compileRule(rule: PolicyRule, order: number): CompiledRule {
  const regex = compilePattern(rule);
  return { rule, order, regex, screenable: regex !== undefined && screenable(rule.pattern as string) };
}

function compilePattern(rule: PolicyRule): RegExp | undefined {
  if (rule.pattern === undefined) return undefined;
  try {
    return new RegExp(rule.pattern);
  } catch (error) {
    throw new Error(`rule ${rule.id}: invalid pattern: ${(error as Error).message}`);
  }
}

function scopeMatches(scope: RuleScope | undefined, context: RuleContext): boolean {
  if (!scope) return true;
  const within = (allowed: readonly string[] | undefined, value: string | undefined) =>
    allowed === undefined || allowed.length === 0 || (value !== undefined && allowed.includes(value));
  return (
    within(scope.users, context.user) &&
    within(scope.groups, context.group) &&
    within(scope.devices, context.device)
  );
}

// `^rm\s`, `^(systemctl|service)\s+stop`: the pattern can only match commands whose program
// is one of these literal names (the text is `program args...`, so whitespace must follow the
// name), and it is indexed under them. `^mkfs`, `^rm\b` and `^kill$` are not: `mkfs.ext4`,
// `rm.old` and `killall` would escape an index by name, so such patterns are tried on every
// command.
const ANCHORED_PROGRAMS = /^\^(?:\((?:\?:)?([\w-]+(?:\|[\w-]+)*)\)|([\w-]+))(?:\\s| )/;

export function programsOfAnchoredPattern(pattern: string | undefined): string[] | undefined {
  if (pattern === undefined) return undefined;
  const match = ANCHORED_PROGRAMS.exec(pattern);
  if (!match) return undefined;
  const names = match[1] ?? match[2];
  return names?.split('|');
}
