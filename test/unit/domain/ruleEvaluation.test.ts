import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../../src/domain/policy/policy.js';
import { evaluateLine } from '../../../src/domain/rules/evaluateLine.js';
import { resolveInterrupt } from '../../../src/domain/rules/interruptAttempts.js';
import { RuleSet, programsOfAnchoredPattern, type RuleContext } from '../../../src/domain/rules/ruleSet.js';
import type { ShellParser } from '../../../src/domain/shell/shellParser.js';
import { buildRule } from '../../support/factories.js';
import { sharedParser } from '../../support/sharedParser.js';

let parser: ShellParser;
beforeAll(async () => {
  parser = await sharedParser();
});

function judge(rules: PolicyRule[], line: string, context: RuleContext = {}, opaque: 'block' | 'allow' = 'block') {
  return evaluateLine(RuleSet.compile(rules).forContext(context), parser.parse(line), { opaque });
}

const noRecursiveRm = buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' });
const noShutdown = buildRule({ id: 'no-shutdown', command: ['shutdown', 'reboot'], action: 'interrupt', attempts: 3, risk: 'high' });
const auditSudo = buildRule({ id: 'audit-sudo', command: ['sudo'], action: 'allow', risk: 'medium' });

describe('allow', () => {
  it('lets unmatched commands through with no rule and no risk', () => {
    expect(judge([noRecursiveRm], 'ls -la /tmp')).toMatchObject({ verdict: 'allow', ruleIds: [], risk: null });
  });
  it('records allow rules and their risk without stopping the command', () => {
    expect(judge([auditSudo], 'sudo ls')).toMatchObject({ verdict: 'allow', ruleIds: ['audit-sudo'], risk: 'medium' });
  });
});

describe('block', () => {
  it.each([
    'rm -rf /var/www',
    'rm -r x',
    '/bin/rm -fR x',
    "r''m -rf x",
    '\\rm -rf x',
    'cd /tmp && rm -rf x',
    'echo ok; rm -rf x',
    'true || rm -rf x',
    '(rm -rf x)',
    'echo $(rm -rf x)',
    'echo `rm -rf x`',
    'for f in a b; do rm -rf $f; done',
    'if true; then rm -rf x; fi',
    'FOO=1 rm -rf x',
    'sudo -u root rm -rf x',
    'env -i LANG=C rm -rf x',
    'nice -n 10 rm -rf x',
    'nohup rm -rf x',
    'timeout 5 rm -rf x',
    'time rm -rf x',
    'command rm -rf x',
    'exec rm -rf x',
    'find . -print0 | xargs -0 rm -rf',
    "sh -c 'rm -rf x'",
    'bash -c "rm -rf x"',
    "eval 'rm -rf x'",
  ])('%s', (line) => {
    expect(judge([noRecursiveRm], line)).toMatchObject({ verdict: 'block', ruleIds: ['no-recursive-rm'], risk: 'high' });
  });

  it('does not block what the pattern excludes', () => {
    expect(judge([noRecursiveRm], 'rm -f single-file').verdict).toBe('allow');
    expect(judge([noRecursiveRm], 'echo rm -rf').verdict).toBe('allow');
  });

  it('evaluates wrappers themselves: a rule on sudo matches sudo', () => {
    const noSudo = buildRule({ id: 'no-sudo', command: ['sudo'], action: 'block' });
    expect(judge([noSudo], 'sudo -u www ls')).toMatchObject({ verdict: 'block', ruleIds: ['no-sudo'] });
  });

  it('takes the most severe verdict over all simple commands of a line', () => {
    const result = judge([noRecursiveRm, noShutdown], 'rm -rf x; shutdown -h now');
    expect(result.verdict).toBe('interrupt');
    expect(result.ruleIds).toEqual(['no-recursive-rm', 'no-shutdown']);
    expect(result.commands.map((c) => c.verdict)).toEqual(['block', 'interrupt']);
  });

  it('matches pattern-only rules anywhere when not anchored, and by program when anchored', () => {
    const passwd = buildRule({ id: 'passwd-write', pattern: '>\\s*/etc/passwd', action: 'block' });
    expect(judge([passwd], 'echo x > /etc/passwd').verdict).toBe('block');
    const apache = buildRule({ id: 'apache-stop', pattern: '^(systemctl|service)\\s+(stop|restart)\\s+(apache2|httpd)', action: 'block' });
    expect(judge([apache], 'sudo systemctl stop apache2').verdict).toBe('block');
    expect(judge([apache], 'service restart httpd').verdict).toBe('block');
    expect(judge([apache], 'systemctl status apache2').verdict).toBe('allow');
    expect(programsOfAnchoredPattern(apache.pattern)).toEqual(['systemctl', 'service']);
    expect(programsOfAnchoredPattern('^rm\\s')).toEqual(['rm']);
    expect(programsOfAnchoredPattern('rm')).toBeUndefined();
    expect(programsOfAnchoredPattern('^r.m')).toBeUndefined();
  });
});

describe('interrupt', () => {
  it('reports interrupt whatever the attempts', () => {
    expect(judge([noShutdown], 'sudo reboot')).toMatchObject({ verdict: 'interrupt', ruleIds: ['no-shutdown'] });
  });

  it('blocks until the N-th attempt in a session, then interrupts', () => {
    let attempts = new Map<string, number>();
    const verdicts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const resolution = resolveInterrupt(judge([noShutdown], 'shutdown -r now'), attempts);
      attempts = new Map(resolution.attempts);
      verdicts.push(resolution.verdict);
    }
    expect(verdicts).toEqual(['block', 'block', 'interrupt']);
  });

  it('interrupts at once with the default of one attempt', () => {
    const once = buildRule({ id: 'no-halt', command: ['halt'], action: 'interrupt' });
    expect(resolveInterrupt(judge([once], 'halt'), new Map()).verdict).toBe('interrupt');
  });
});

describe('force', () => {
  const forceSystemctl = buildRule({ id: 'only-systemctl', command: ['systemctl', 'journalctl'], action: 'force' });

  it('allows only forced commands once a force rule applies', () => {
    expect(judge([forceSystemctl], 'systemctl restart nginx')).toMatchObject({ verdict: 'allow', ruleIds: ['only-systemctl'] });
    expect(judge([forceSystemctl], 'cat /etc/shadow')).toMatchObject({ verdict: 'block', ruleIds: ['(force)'] });
    expect(judge([forceSystemctl], 'systemctl status x | grep active').verdict).toBe('block');
  });

  it('treats wrappers as transparent: only the wrapped command must be forced', () => {
    expect(judge([forceSystemctl], 'sudo systemctl restart nginx').verdict).toBe('allow');
    expect(judge([forceSystemctl], 'sudo -u root timeout 10 journalctl -u nginx').verdict).toBe('allow');
    expect(judge([forceSystemctl], 'sudo cat /etc/shadow').verdict).toBe('block');
  });

  it('lets block and interrupt win over force', () => {
    const noStop = buildRule({ id: 'no-stop', pattern: '^systemctl\\s+stop', action: 'block' });
    expect(judge([forceSystemctl, noStop], 'systemctl stop nginx')).toMatchObject({ verdict: 'block', ruleIds: ['only-systemctl', 'no-stop'] });
    const forceReboot = buildRule({ id: 'force-reboot', command: ['reboot'], action: 'force' });
    expect(judge([forceReboot, noShutdown], 'reboot').verdict).toBe('interrupt');
  });

  it('applies only within its scope', () => {
    const scoped = buildRule({ id: 'db-only-psql', command: ['psql'], action: 'force', scope: { devices: ['db01'] } });
    expect(judge([scoped], 'ls', { device: 'web01' }).verdict).toBe('allow');
    expect(judge([scoped], 'ls', { device: 'db01' }).verdict).toBe('block');
    expect(judge([scoped], 'psql -c "select 1"', { device: 'db01' }).verdict).toBe('allow');
  });
});

describe('scope', () => {
  const scoped = buildRule({
    id: 'no-rm-web-alice',
    command: ['rm'],
    action: 'block',
    scope: { groups: ['web-ops'], devices: ['web01'], users: ['alice'] },
  });
  it('applies only when every named dimension matches', () => {
    expect(judge([scoped], 'rm x', { user: 'alice', group: 'web-ops', device: 'web01' }).verdict).toBe('block');
    expect(judge([scoped], 'rm x', { user: 'bob', group: 'web-ops', device: 'web01' }).verdict).toBe('allow');
    expect(judge([scoped], 'rm x', { user: 'alice', group: 'db-ops', device: 'web01' }).verdict).toBe('allow');
    expect(judge([scoped], 'rm x', { user: 'alice', group: 'web-ops', device: 'web02' }).verdict).toBe('allow');
    expect(judge([scoped], 'rm x', {}).verdict).toBe('allow');
  });
});

describe('opaque commands', () => {
  it.each(['$CMD -rf /', '$(echo rm) -rf /', '`echo rm` x', 'curl -s http://x/install | sh', 'bash < /tmp/script', 'rm -rf "unterminated'])(
    'blocks %s by default',
    (line) => {
      const result = judge([], line);
      expect(result.verdict).toBe('block');
      expect(result.ruleIds).toContain('(opaque)');
    },
  );

  it('follows the policy setting when opaque commands are allowed', () => {
    expect(judge([], '$CMD -rf /', {}, 'allow').verdict).toBe('allow');
  });

  it('cannot be vouched for by an allow or force rule', () => {
    const allowAll = buildRule({ id: 'log-all', pattern: '.', action: 'allow' });
    expect(judge([allowAll], '$CMD x').verdict).toBe('block');
  });
});

describe('risk', () => {
  it('is the highest risk among matched rules', () => {
    const low = buildRule({ id: 'ls-low', command: ['ls'], action: 'allow', risk: 'low' });
    const high = buildRule({ id: 'cat-high', command: ['cat'], action: 'allow', risk: 'high' });
    expect(judge([low, high], 'ls; cat /etc/hosts').risk).toBe('high');
    expect(judge([low, high], 'ls').risk).toBe('low');
  });
});

describe('rule set', () => {
  it('rejects an invalid pattern naming the rule', () => {
    expect(() => RuleSet.compile([buildRule({ id: 'bad', pattern: '(' })])).toThrow(/rule bad: invalid pattern/);
  });
  it('handles a thousand rules and keeps policy order in reports', () => {
    const rules = Array.from({ length: 1000 }, (_, i) => buildRule({ id: `r${i}`, command: [`prog${i}`], action: 'block' }));
    rules.push(buildRule({ id: 'any-tmp', pattern: '/tmp/secret', action: 'block' }));
    const result = judge(rules, 'prog500 /tmp/secret');
    expect(result.ruleIds).toEqual(['r500', 'any-tmp']);
  });
});
