import { describe, expect, it } from 'vitest';
import { checkPolicy, PolicyValidationError } from '../../../src/services/policy/policyImport.js';
import { EXAMPLE_POLICY_YAML } from '../../support/factories.js';

function problems(text: string): string[] {
  try {
    checkPolicy(text, 'policy.yml');
  } catch (error) {
    if (error instanceof PolicyValidationError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('policy file validation', () => {
  it('accepts the example policy with defaults filled in', () => {
    const policy = checkPolicy(EXAMPLE_POLICY_YAML, 'policy.yml');
    expect(policy.users.map((u) => u.id)).toEqual(['alice', 'bob', 'carol', 'erin']);
    expect(policy.devices.find((d) => d.id === 'web02')?.port).toBe(22);
    expect(policy.rules.find((r) => r.id === 'no-recursive-rm')).toMatchObject({ attempts: 1, risk: 'high' });
    expect(policy.settings).toEqual({ opaque: 'block', timezone: 'UTC' });
  });

  it('names the file, the path and what was expected for a bad enum', () => {
    const text = EXAMPLE_POLICY_YAML.replace("action: block, risk: medium, scope", "action: deny, risk: medium, scope");
    expect(problems(text)).toEqual(['policy.yml: rules[2].action: expected allow|block|interrupt|force|review, got "deny" (line 22)']);
  });

  it('reports wrong types, missing fields and unknown keys', () => {
    const text = `
users:
  - { id: alice, roles: [requester], colour: blue }
groups:
  - { id: g, members: [alice], approvers: [alice], approvals: "two" }
devices:
  - { id: d, user: deploy, credential: { passwordEnv: PW } }
`;
    expect(problems(text)).toEqual([
      'policy.yml: users[0]: unknown key "colour" (line 3)',
      'policy.yml: groups[0].approvals: expected number, got "two" (line 5)',
      'policy.yml: devices[0].host: is required (string) (line 7)',
    ]);
  });

  it('reports unknown references', () => {
    const text = `
users: [{ id: alice }, { id: bob }]
devices: []
groups:
  - { id: web-ops, members: [alice, zoe], approvers: [bob], devices: [web09] }
rules:
  - { id: r1, command: rm, action: block, scope: { groups: [db-ops] } }
`;
    expect(problems(text)).toEqual([
      'policy.yml: groups[0].members[1]: unknown user "zoe" (line 5)',
      'policy.yml: groups[0].devices[0]: unknown device "web09" (line 5)',
      'policy.yml: rules[0].scope.groups[0]: unknown group "db-ops" (line 7)',
    ]);
  });

  it('reports a rule with neither command nor pattern', () => {
    expect(problems('rules:\n  - { id: r2, action: block }\n')).toEqual(['policy.yml: rules[0]: needs "command", "pattern" or both (line 2)']);
  });

  it('reports duplicate ids and bad regular expressions', () => {
    const found = problems(`
users: [{ id: alice }, { id: bob }, { id: alice }]
rules:
  - { id: r1, pattern: '([a-z', action: block }
`);
    expect(found[0]).toBe('policy.yml: users[2].id: duplicate id "alice" (first at users[0]) (line 2)');
    expect(found[1]).toMatch(/^policy\.yml: rules\[0\]\.pattern: not a valid regular expression: .* \(line 4\)$/);
  });

  it('refuses patterns open to catastrophic backtracking', () => {
    expect(problems("rules:\n  - { id: redos, pattern: '(a+)+$', action: block }\n")).toEqual([
      'policy.yml: rules[0].pattern: may take exponential time on some command lines (nested repetition such as (a+)+); rewrite it without nested quantifiers (line 2)',
    ]);
  });

  it('reports a quorum no one can reach', () => {
    expect(problems('users: [{ id: bob }]\ngroups: [{ id: g, approvers: [bob], approvals: 2 }]\n')).toEqual([
      'policy.yml: groups[0].approvals: needs 2 approvals but only 1 approver(s) are listed (line 2)',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('users:\n  - { id: alice\n')).toEqual([expect.stringMatching(/^policy\.yml: not valid YAML: .* \(line \d+\)$/)]);
  });

  it('refuses a document that is not a mapping, and alias bombs', () => {
    expect(problems('- a\n- b\n')[0]).toMatch(/^policy\.yml: expected object, got a list/);
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    expect(() => checkPolicy(bomb, 'policy.yml')).toThrow();
  });
});
