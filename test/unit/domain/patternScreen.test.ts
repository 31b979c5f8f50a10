import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../../src/domain/policy/policy.js';
import { passesScreen, patternScreen, screenable } from '../../../src/domain/rules/patternScreen.js';
import { evaluateLine } from '../../../src/domain/rules/evaluateLine.js';
import { RuleSet } from '../../../src/domain/rules/ruleSet.js';
import type { ShellParser } from '../../../src/domain/shell/shellParser.js';
import { sharedParser } from '../../support/sharedParser.js';

let parser: ShellParser;
beforeAll(async () => {
  parser = await sharedParser();
});

const PATTERNS = ['^rm\\s', '/etc/secret-\\d+\\b', 'a|b{2}c', '(?<=-)f$', '(?<![\\w/])tmp\\b', '^$', 'x(?=y)', '[\\]|)]z'];
const TEXTS = ['rm -rf /', 'cat /etc/secret-12', 'bbc', 'ls -f', 'cd /tmp', 'cd tmp', '', 'xy', 'x', ']z', '|z', ')z', 'harmless words'];

describe('patternScreen', () => {
  it('matches a text exactly when one of its patterns does', () => {
    const screen = patternScreen(PATTERNS);
    expect(screen).toBeDefined();
    for (const text of TEXTS) {
      expect(passesScreen(screen, text), text).toBe(PATTERNS.some((p) => new RegExp(p).test(text)));
    }
  });

  it('leaves out patterns that refer to groups, whose numbers or names an alternation would change', () => {
    expect(screenable('(a)\\1')).toBe(false);
    expect(screenable('(?<x>a)\\k<x>')).toBe(false);
    // Without a group, `\1` is an octal escape: with another pattern's group it would become a reference.
    expect(screenable('\\1')).toBe(false);
    expect(screenable('(a)(b)c')).toBe(true);
  });

  it('builds no screen when there is nothing to gain or it cannot be built', () => {
    expect(patternScreen(['^rm\\s'])).toBeUndefined();
    expect(patternScreen(['x'.repeat(30_000), 'y'])).toBeUndefined();
    expect(passesScreen(undefined, 'anything')).toBe(true);
  });

  it('keeps every verdict when rules refer to groups or reuse group names', () => {
    const rules: PolicyRule[] = [
      ...Array.from({ length: 20 }, (_, i): PolicyRule => ({ id: `secret-${i}`, pattern: `/etc/secret-${i}\\b`, action: 'block', risk: 'high', attempts: 1 })),
      { id: 'doubled', pattern: '(\\w)\\1{2}', action: 'interrupt', risk: 'medium', attempts: 1 },
      { id: 'named-a', pattern: '(?<n>-r)f', action: 'block', risk: 'high', attempts: 1 },
      { id: 'named-b', pattern: '(?<n>--)force', action: 'block', risk: 'high', attempts: 1 },
      { id: 'octal', pattern: '\\1', action: 'block', risk: 'low', attempts: 1 },
    ];
    const judge = (line: string) => evaluateLine(RuleSet.compile(rules).forContext({}), parser.parse(line), { opaque: 'allow' }).ruleIds;
    expect(judge('chmod 777 x')).toEqual(['doubled']);
    expect(judge('ls -rf')).toEqual(['named-a']);
    expect(judge('ls --force')).toEqual(['named-b']);
    expect(judge('cat /etc/secret-7')).toEqual(['secret-7']);
    expect(judge('ls /etc')).toEqual([]);
    expect(judge("printf '\\x01' | cat $'\\x01'")).toEqual(['octal']);
  });
});
