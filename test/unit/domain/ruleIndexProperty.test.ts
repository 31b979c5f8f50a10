import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../../src/domain/policy/policy.js';
import { evaluateLine } from '../../../src/domain/rules/evaluateLine.js';
import { RuleSet } from '../../../src/domain/rules/ruleSet.js';
import type { ShellParser } from '../../../src/domain/shell/shellParser.js';
import { sharedParser } from '../../support/sharedParser.js';

/**
 * Indexing rules by program name is an optimisation that must never change a verdict: random
 * policies and random command lines are judged by the indexed engine and by one that tries
 * every rule on every normalised command, and both must agree on verdict, rules and risk.
 * Program names are drawn so that prefixes and dotted variants meet anchored patterns
 * (`^mkfs` and `mkfs.ext4`, `^rm\b` and `rm.old`).
 */

let parser: ShellParser;
beforeAll(async () => {
  parser = await sharedParser();
});

const PROGRAMS = ['rm', 'rm.old', 'rmdir', 'mkfs', 'mkfs.ext4', 'mkfs.xfs', 'kill', 'killall', 'pkill', 'systemctl', 'service', 'ls', 'cat', 'chmod', 'shutdown', 'git', 'sudo', 'env', 'nice'];
const ARGS = ['-rf', '-r', '/', '/tmp/x', 'stop', 'restart', 'apache2', '--force', '/dev/sdb1', 'status', '-9', '777', 'HEAD', 'a b'];

const program = fc.constantFrom(...PROGRAMS);
const escaped = (name: string) => name.replace(/\./g, '\\.');

/** Patterns of the shapes admins write, anchored or not. */
const pattern = fc.oneof(
  program.map((p) => `^${escaped(p)}`),
  program.map((p) => `^${escaped(p)}\\s`),
  program.map((p) => `^${escaped(p)} `),
  program.map((p) => `^${escaped(p)}\\b`),
  program.map((p) => `^${escaped(p)}$`),
  fc.tuple(program, program).map(([a, b]) => `^(${escaped(a)}|${escaped(b)})\\s`),
  fc.tuple(program, program).map(([a, b]) => `^(?:${escaped(a)}|${escaped(b)})\\b`),
  fc.constantFrom('-rf', '\\s-\\w*[rR]', '/dev/sd', 'stop\\s+apache2', '777', '^\\S+\\.ext4'),
  // Groups and references to them: the rule screen (patternScreen.ts) must keep their meaning.
  fc.constantFrom('(\\w)\\1', '(r)(f)', '(?<d>\\d)\\k<d>', '(?<d>7)7', '^(\\S+) .*\\1', '(?<=-)r|(?<![a-z])777\\b', '\\1'),
);

const rule: fc.Arbitrary<PolicyRule> = fc
  .record({
    command: fc.option(fc.uniqueArray(program, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    pattern: fc.option(pattern, { nil: undefined }),
    action: fc.constantFrom('allow', 'block', 'interrupt', 'force'),
    risk: fc.constantFrom('low', 'medium', 'high'),
  })
  .filter((r) => r.command !== undefined || r.pattern !== undefined)
  .map((r) => ({ ...r, attempts: 1 }) as Omit<PolicyRule, 'id'>)
  .map((r) => r as PolicyRule);

const policy = fc.array(rule, { minLength: 1, maxLength: 8 }).map((rules) => rules.map((r, i) => ({ ...r, id: `r${i}` })));

const simpleCommand = fc.tuple(fc.option(fc.constantFrom('sudo ', 'nice -n 5 ', 'env A=1 ', '/usr/bin/', '/sbin/'), { nil: '' }), program, fc.array(fc.constantFrom(...ARGS), { maxLength: 3 })).map(
  ([prefix, p, args]) => `${prefix}${p}${args.map((a) => (a.includes(' ') ? ` '${a}'` : ` ${a}`)).join('')}`,
);
const line = fc.array(simpleCommand, { minLength: 1, maxLength: 3 }).chain((commands) =>
  fc.constantFrom('; ', ' && ', ' | ').map((sep) => commands.join(sep)),
);

describe('the rule index', () => {
  it('never changes a verdict: indexed and exhaustive engines agree', () => {
    fc.assert(
      fc.property(policy, line, fc.constantFrom('block', 'allow'), (rules, text, opaque) => {
        const parsed = parser.parse(text);
        const indexed = evaluateLine(RuleSet.compile(rules).forContext({}), parsed, { opaque });
        const naive = evaluateLine(RuleSet.compileUnindexed(rules).forContext({}), parsed, { opaque });
        expect({ verdict: indexed.verdict, rules: [...indexed.ruleIds].sort(), risk: indexed.risk }).toEqual({
          verdict: naive.verdict,
          rules: [...naive.ruleIds].sort(),
          risk: naive.risk,
        });
      }),
      { numRuns: 3000, seed: 20261205 },
    );
  });

  it("matches '^mkfs' against mkfs.ext4 and sudo mkfs.xfs", () => {
    const rules: PolicyRule[] = [{ id: 'no-mkfs', pattern: '^mkfs', action: 'block', risk: 'high', attempts: 1 }];
    for (const text of ['mkfs.ext4 /dev/sdb1', 'sudo mkfs.xfs /dev/sdc', '/sbin/mkfs -t ext4 /dev/sdd']) {
      expect(evaluateLine(RuleSet.compile(rules).forContext({}), parser.parse(text), { opaque: 'block' }), text).toMatchObject({ verdict: 'block', ruleIds: ['no-mkfs'] });
    }
  });
});
