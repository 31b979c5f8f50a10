import type { PolicyRule } from '../../src/domain/policy/policy.js';

/**
 * The alternative changeguard is measured against: every rule's regular expression tried on
 * the raw line, as line-regex command filters do (no parsing, so `r''m -rf`, `$(...)` or a
 * wrapper slip through). All rules are tried because the most severe match wins.
 */
export function naiveRuleMatcher(rules: readonly PolicyRule[]): (line: string) => number {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const compiled = rules.map((rule) => {
    const program = rule.command ? new RegExp(`(^|[\\s;|&(])(${rule.command.map(escape).join('|')})(\\s|$)`) : undefined;
    const pattern = rule.pattern ? new RegExp(rule.pattern) : undefined;
    return (line: string) => (program ? program.test(line) : true) && (pattern ? pattern.test(line) : true);
  });
  return (line) => {
    let matches = 0;
    for (const ruleMatches of compiled) if (ruleMatches(line)) matches++;
    return matches;
  };
}
