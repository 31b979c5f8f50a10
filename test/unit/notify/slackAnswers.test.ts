import { describe, expect, it } from 'vitest';
import { lockButtonValueSchema, reviewButtonValueSchema, sessionButtonValueSchema } from '../../../src/notify/interactiveActions.js';
import { SLACK_ANSWERS, SlackTemplates, type SlackAnswer } from '../../../src/notify/slackTemplates.js';
import { KNOWN_ACTION_IDS } from '../../../src/slack/slackPayloadCheck.js';

/**
 * One way to write Block Kit: answers, the App Home and the buttons are templates too
 * (templates/slack/answers/, partials/), fed escaped view models as the notifications are.
 */
const templates = SlackTemplates.load();
const HOSTILE = '"}]} <!channel> <https://evil|click> & `';
const at = new Date('2026-11-22T09:00:00Z');
const item = { code: 'CHG-1', link: 'https://changeguard.example/changes/CHG-1', title: HOSTILE, statusLabel: 'pending approval', windowStart: at, windowEnd: at };

const VIEWS: Record<SlackAnswer, Record<string, unknown>> = {
  changeList: { timezone: 'UTC', open: [item, item], moreOpen: 3, awaiting: [item], moreAwaiting: 0 },
  changeDetails: {
    timezone: 'UTC',
    change: { ...item, outcome: HOSTILE, requesterName: HOSTILE, executors: [HOSTILE], group: 'web-ops', devices: ['web01', HOSTILE], description: HOSTILE },
    approvals: [{ name: HOSTILE, at }],
    decision: { label: 'Rejected', name: HOSTILE, at, reason: HOSTILE },
    script: { preview: HOSTILE, moreLines: 2 },
    approveLink: 'https://changeguard.example/approve/x.y',
  },
  validation: { change: item, linesChecked: 3, devices: ['web01'], findings: [{ lineNo: 2, line: HOSTILE, devices: 'web01', stop: 'blocked', rules: 'no-rm', reason: HOSTILE }], moreFindings: 1 },
  auditSummary: {
    timezone: 'UTC',
    change: { ...item, auditLink: 'https://changeguard.example/changes/CHG-1/audit' },
    outcome: 'incomplete',
    outcomeLabel: 'incomplete',
    counts: { planned: 2, executed: 1, partial: 0, missing: 1, extra: 0, blocked: 1 },
    sessions: [{ userName: HOSTILE, device: 'web01', clientAddress: '10.0.0.9', startedAt: at, endedAt: at, stateLabel: 'ended', link: 'https://changeguard.example/sessions/s1' }],
    moreSessions: 0,
  },
  keyList: { timezone: 'UTC', keys: [{ fingerprint: 'SHA256:abc', type: 'ssh-ed25519', comment: HOSTILE, addedAt: at }] },
  appHome: { timezone: 'UTC', name: HOSTILE, open: [item], moreOpen: 0, awaiting: [], moreAwaiting: 0, showAlerts: true, alerts: [{ at, text: HOSTILE }] },
  commandSearch: {
    timezone: 'UTC',
    scopeLabel: 'all sessions',
    found: 1,
    hasMore: true,
    moreLink: 'https://changeguard.example/commands?q=x',
    records: [{ at, user: HOSTILE, device: HOSTILE, changeCode: 'CHG-1', changeLink: item.link, verdict: 'block', rules: HOSTILE, sessionLink: 'https://changeguard.example/sessions/s1', line: HOSTILE }],
  },
};

describe('answers written as templates', () => {
  it.each(SLACK_ANSWERS)('%s renders valid Block Kit from hostile values, escaped', (name) => {
    const rendered = templates.renderAnswer(name, VIEWS[name]);
    expect(rendered.problem).toBeUndefined();
    expect(rendered.content.blocks.length).toBeGreaterThan(0);
    const json = JSON.stringify(rendered.content);
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<https://evil|click>');
    expect(json).toContain('&lt;!channel&gt;');
  });

  it('shows no alerts section to someone who is not security, and an empty one to security', () => {
    const others = JSON.stringify(templates.renderAnswer('appHome', { ...VIEWS.appHome, showAlerts: false, alerts: [] }).content);
    expect(others).not.toContain('Recent security alerts');
    const security = JSON.stringify(templates.renderAnswer('appHome', { ...VIEWS.appHome, alerts: [] }).content);
    expect(security).toContain('No alerts.');
  });
});

describe('command search answer', () => {
  it('says when nothing matches, with the web search at hand', () => {
    const rendered = templates.renderAnswer('commandSearch', { ...VIEWS.commandSearch, found: 0, hasMore: false, records: [] });
    expect(rendered.content.text).toBe('No command matches.');
    expect(JSON.stringify(rendered.content.blocks)).toContain('no command matches. <https://changeguard.example/commands?q=x|Search on the web>');
  });

  it('lists one section per command, and points to the rest on the web', () => {
    const rendered = templates.renderAnswer('commandSearch', { ...VIEWS.commandSearch, found: 2, records: [VIEWS.commandSearch.records, VIEWS.commandSearch.records].flat() });
    expect(rendered.content.text).toBe('2+ commands found');
    expect(rendered.content.blocks).toHaveLength(4);
    expect(JSON.stringify(rendered.content.blocks.at(-1))).toContain('More on the web: <https://changeguard.example/commands?q=x|all results>');
  });
});

describe('buttons written as templates', () => {
  type Button = { action_id: string; value?: string; url?: string };
  const buttonsOf = (blocks: readonly Record<string, unknown>[]): Button[] =>
    blocks.filter((b) => b.type === 'actions').flatMap((b) => (b as unknown as { elements: Button[] }).elements);

  it('puts Approve / Reject under a pending request, bound to the script hash shown, or a link when only the web will do', () => {
    const review = { value: JSON.stringify({ code: 'CHG-1', scriptHash: 'a'.repeat(64) }), approveId: 'change_approve', approveOnWebId: 'change_approve_on_web', rejectId: 'change_reject', webOnly: false, url: 'https://changeguard.example/changes/CHG-1' };
    const view = { type: 'access.request_created', change: { ...item, requesterName: 'Alice', devices: ['web01'], group: 'web-ops', status: 'pending_approval' }, card: { script: { preview: 'uptime', moreLines: 0 }, approvals: [] }, actions: { review } };
    const buttons = buttonsOf(templates.render('access.request_created', view).content.blocks);
    expect(buttons.map((b) => b.action_id)).toEqual(['change_approve', 'change_reject']);
    for (const button of buttons) {
      expect(KNOWN_ACTION_IDS).toContain(button.action_id);
      expect(reviewButtonValueSchema.parse(JSON.parse(button.value!))).toEqual({ code: 'CHG-1', scriptHash: 'a'.repeat(64) });
    }
    const webOnly = buttonsOf(templates.render('access.request_created', { ...view, actions: { review: { ...review, webOnly: true } } }).content.blocks);
    expect(webOnly.map((b) => [b.action_id, b.url])).toEqual([['change_approve_on_web', review.url], ['change_reject', undefined]]);
  });

  it('puts Terminate / Lock under a security alert, and Terminate / Unlock under a lock alert that names the user', () => {
    const session = { id: 's1', user: 'alice', userName: 'Alice', device: 'web01', clientAddress: '10.0.0.9', link: 'https://x/s1' };
    const security = {
      terminate: { id: 'session_terminate', value: JSON.stringify({ sessionId: 's1' }) },
      lock: { id: 'user_lock', value: JSON.stringify({ user: 'alice' }) },
    };
    const alert = buttonsOf(templates.render('command.block', { session, command: { line: 'rm -rf /', verdict: 'block', rules: ['no-rm'] }, actions: { security } }).content.blocks);
    expect(alert.map((b) => b.action_id)).toEqual(['session_terminate', 'user_lock']);
    expect(sessionButtonValueSchema.parse(JSON.parse(alert[0]!.value!))).toEqual({ sessionId: 's1' });
    const lock = templates.render('session.account_locked', {
      details: { user: 'alice', userName: 'Alice' },
      reason: 'rule no-rm matched 5 times',
      session,
      actions: { security: { terminate: security.terminate, unlock: { id: 'user_unlock', value: JSON.stringify({ user: 'alice' }) } } },
    });
    expect(lock.content.text).toBe('Account locked: Alice: rule no-rm matched 5 times');
    const buttons = buttonsOf(lock.content.blocks);
    expect(buttons.map((b) => b.action_id)).toEqual(['session_terminate', 'user_unlock']);
    expect(lockButtonValueSchema.parse(JSON.parse(buttons[1]!.value!))).toEqual({ user: 'alice' });
    for (const button of [...alert, ...buttons]) expect(KNOWN_ACTION_IDS).toContain(button.action_id);
  });
});
