import { describe, expect, it } from 'vitest';
import { checkDeviationDecision, reviewPath, type DeviationRequest } from '../../../src/domain/deviation/deviationRequest.js';
import { evaluateLine } from '../../../src/domain/rules/evaluateLine.js';
import { RuleSet } from '../../../src/domain/rules/ruleSet.js';
import { auditScript } from '../../../src/domain/scriptAudit/scriptAudit.js';
import { HOUR, T0, buildChange, buildRule } from '../../support/factories.js';
import { sharedParser } from '../../support/sharedParser.js';

const request: DeviationRequest = {
  id: 'dev-1',
  changeCode: 'CHG-1',
  sessionId: 'sess-1',
  requester: 'alice',
  device: 'web01',
  line: 'systemctl restart nginx',
  ruleIds: ['review-systemctl'],
  commandId: 'cmd-1',
  requestedAt: T0,
  expiresAt: new Date(T0.getTime() + 300_000),
  status: 'pending',
};

describe('deciding a deviation', () => {
  it('lets another person allow or deny a pending request before it expires', () => {
    expect(checkDeviationDecision(request, 'bob', 'allow', T0)).toEqual({ ok: true, status: 'allowed' });
    expect(checkDeviationDecision(request, 'bob', 'deny', new Date(T0.getTime() + 299_999))).toEqual({ ok: true, status: 'denied' });
  });

  it('never lets the user who typed the command decide it', () => {
    expect(checkDeviationDecision(request, 'alice', 'allow', T0)).toMatchObject({ ok: false, refusal: 'self_decision', message: expect.stringContaining('four-eyes') });
  });

  it('refuses a decision on a settled or expired request', () => {
    expect(checkDeviationDecision({ ...request, status: 'denied' }, 'bob', 'allow', T0)).toMatchObject({ ok: false, refusal: 'not_pending', message: expect.stringContaining('was denied already') });
    expect(checkDeviationDecision({ ...request, status: 'timed_out' }, 'bob', 'deny', T0)).toMatchObject({ ok: false, refusal: 'not_pending', message: expect.stringContaining('timed out') });
    expect(checkDeviationDecision(request, 'bob', 'allow', request.expiresAt)).toMatchObject({ ok: false, refusal: 'expired' });
  });
});

describe('what a review rule does', () => {
  const change = buildChange({ status: 'in_progress', windowStart: T0, windowEnd: new Date(T0.getTime() + HOUR) });
  const planned = new Set(['systemctl reload nginx', 'touch /tmp/x']);

  it('runs a planned line, asks about an unplanned one during the window, refuses outside it', () => {
    const inWindow = new Date(T0.getTime() + 60_000);
    expect(reviewPath(change, inWindow, ['systemctl reload nginx'], planned)).toBe('run');
    expect(reviewPath(change, inWindow, ['systemctl reload nginx', 'systemctl restart nginx'], planned)).toBe('ask');
    expect(reviewPath({ ...change, status: 'approved' }, inWindow, ['systemctl restart nginx'], planned)).toBe('ask');
    expect(reviewPath(change, change.windowEnd, ['systemctl restart nginx'], planned)).toBe('refuse');
    expect(reviewPath({ ...change, status: 'completed' }, inWindow, ['systemctl restart nginx'], planned)).toBe('refuse');
    // Planned lines run even after the window: whatever else refuses them, review does not.
    expect(reviewPath({ ...change, status: 'completed' }, inWindow, ['touch /tmp/x'], planned)).toBe('run');
  });

  it('marks allowed lines with the review rules that matched; block, interrupt and force still win', async () => {
    const parser = await sharedParser();
    const rules = RuleSet.compile([
      buildRule({ id: 'review-systemctl', command: ['systemctl'], action: 'review', risk: 'medium' }),
      buildRule({ id: 'no-rm', command: ['rm'], action: 'block' }),
    ]);
    const reviewed = evaluateLine(rules, parser.parse('sudo systemctl restart nginx && echo done'), { opaque: 'block' });
    expect(reviewed).toMatchObject({ verdict: 'allow', reviewRuleIds: ['review-systemctl'], ruleIds: ['review-systemctl'] });
    expect(evaluateLine(rules, parser.parse('echo hello'), { opaque: 'block' }).reviewRuleIds).toEqual([]);
    const blocked = evaluateLine(rules, parser.parse('systemctl restart nginx; rm x'), { opaque: 'block' });
    expect(blocked).toMatchObject({ verdict: 'block', reviewRuleIds: [] });
    const forced = RuleSet.compile([buildRule({ id: 'review-systemctl', command: ['systemctl'], action: 'review' }), buildRule({ id: 'only-ls', command: ['ls'], action: 'force' })]);
    expect(evaluateLine(forced, parser.parse('systemctl restart nginx'), { opaque: 'block' })).toMatchObject({ verdict: 'block', reviewRuleIds: [] });
  });
});

describe('the change audit', () => {
  it('shows a line an approver allowed once as an approved deviation, apart from extras', () => {
    const audit = auditScript(
      [{ lineNo: 1, text: 'touch a', commands: ['touch a'] }],
      [
        { ref: 'r1', sessionId: 's', at: T0, line: 'touch a', commands: ['touch a'], verdict: 'allow' },
        { ref: 'r2', sessionId: 's', at: T0, line: 'systemctl restart nginx', commands: ['systemctl restart nginx'], verdict: 'allow', approvedBy: 'bob' },
        { ref: 'r3', sessionId: 's', at: T0, line: 'touch b', commands: ['touch b'], verdict: 'allow' },
      ],
    );
    expect(audit.executed.map((e) => [e.ref, e.status])).toEqual([
      ['r1', 'planned'],
      ['r2', 'deviation'],
      ['r3', 'extra'],
    ]);
    expect(audit.counts).toMatchObject({ extra: 1, deviations: 1, missing: 0 });
  });
});
