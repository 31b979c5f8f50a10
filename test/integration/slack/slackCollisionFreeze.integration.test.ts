import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { importPolicy } from '../../../src/services/policy/policyImport.js';
import { eventually, type RecordedCall } from '../../support/fakeSlackApi.js';
import { newChangeFormValues, type NewChangeForm } from '../../support/slackForms.js';
import { SLACK, startSlackHarness, type SlackHarness } from '../../support/slackHarness.js';

/**
 * Collisions and freezes through the real Bolt receiver over signed HTTP and the fake Slack
 * Web API: the requester is warned in the form's answer, the approvers on the card; a freeze
 * refuses the form unless it is an emergency, which then takes two approvers.
 */
const HOUR = 3600_000;
const DAY = 24 * HOUR;
let h: SlackHarness;
/** Midnight UTC two days from now: the freeze's first day (the policy's zone is UTC). */
const freezeDay = new Date(Math.floor(Date.now() / DAY) * DAY + 2 * DAY);
const day = (d: Date) => d.toISOString().slice(0, 10);
const inFreeze = { start: new Date(freezeDay.getTime() + 10 * HOUR), end: new Date(freezeDay.getTime() + 12 * HOUR) };

beforeAll(async () => {
  h = await startSlackHarness();
});
afterAll(async () => h?.close());
beforeEach(() => h.fake.reset());

async function file(form: NewChangeForm): Promise<Record<string, unknown>> {
  const { values, metadata } = newChangeFormValues(form);
  const response = await h.submit(SLACK.alice, 'new_change', values, metadata);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** The card posted to `channel` for `code` (first post, not a thread reply). */
async function cardFor(code: string, channel: string): Promise<RecordedCall> {
  return eventually(`the card of ${code} in ${channel}`, () =>
    h.fake.callsTo('chat.postMessage').find((c) => c.args.channel === channel && !c.args.thread_ts && String(c.args.text).startsWith(`Change request ${code}`)),
  );
}

const text = (value: unknown) => JSON.stringify(value);

describe('overlapping changes', () => {
  it('warns the requester in the form\'s answer and the approvers on the card, and files anyway', async () => {
    const start = new Date(Date.now() + 5 * HOUR);
    expect(await file({ code: 'CHG-300', title: 'Rotate certificates', start, end: new Date(start.getTime() + 2 * HOUR), devices: ['web01'] })).toEqual({ response_action: 'clear' });

    const answer = await file({ code: 'CHG-301', title: 'Upgrade nginx', start: new Date(start.getTime() + HOUR), end: new Date(start.getTime() + 3 * HOUR), devices: ['web01', 'web02'] });
    expect(answer.response_action).toBe('update');
    const view = text(answer.view);
    expect(view).toContain('is filed: its approvers are asked to review it.');
    expect(view).toMatch(/:warning: \*Overlaps <https:\/\/changeguard\.example\/changes\/CHG-300\|CHG-300>\* Rotate certificates \(pending approval, alice\) on web01, /);
    expect((await h.store.changes.findByCode('CHG-301'))?.status).toBe('pending_approval');

    const card = text((await cardFor('CHG-301', SLACK.bob)).args.blocks);
    expect(card).toContain(':warning: *Overlaps <https://changeguard.example/changes/CHG-300|CHG-300>* Rotate certificates (pending approval, Alice) on *web01*');
    // The requester's copy says the same.
    expect(text((await cardFor('CHG-301', SLACK.alice)).args.blocks)).toContain('Overlaps <https://changeguard.example/changes/CHG-300|CHG-300>');
    // The other side: CHG-300 waits for bob and carol, who hear by DM that CHG-301 now overlaps it; alice filed both and is told nothing more.
    for (const approver of [SLACK.bob, SLACK.carol]) {
      const notice = await eventually(`the overlap notice to ${approver}`, () =>
        h.fake.callsTo('chat.postMessage').find((c) => c.args.channel === approver && String(c.args.text) === 'CHG-301 overlaps CHG-300 on web01'),
      );
      expect(text(notice.args.blocks)).toContain(':warning: *<https://changeguard.example/changes/CHG-301|CHG-301>* Upgrade nginx (Alice, pending approval) works on *web01* from ');
      expect(text(notice.args.blocks)).toContain('at the same time as *CHG-300* Rotate certificates');
    }
    expect(h.fake.callsTo('chat.postMessage').filter((c) => String(c.args.text).includes('overlaps'))).toHaveLength(2);
    // Another server, or a window that only touches, is no collision.
    expect(await file({ code: 'CHG-302', start: new Date(start.getTime() + 2 * HOUR), end: new Date(start.getTime() + 4 * HOUR), devices: ['db01'], group: 'db-ops' })).toEqual({ response_action: 'clear' });
    expect(await file({ code: 'CHG-303', start: new Date(start.getTime() - 2 * HOUR), end: start, devices: ['web01'] })).toEqual({ response_action: 'clear' });
  });
});

describe('change freezes', () => {
  const pendingBefore = 'CHG-310';

  beforeAll(async () => {
    // A change filed before the freeze is declared, inside it.
    expect(await file({ code: pendingBefore, ...inFreeze, devices: ['web02'] })).toEqual({ response_action: 'clear' });
    const summary = await importPolicy(
      h.deps,
      `freezes:\n  - { id: year-end, from: ${day(freezeDay)}, to: ${day(new Date(freezeDay.getTime() + DAY))}, devices: [web02], reason: Year-end trading }\n`,
      'freeze.yml',
      { userId: 'root', terminal: 'cli', kind: 'operator' },
    );
    expect(summary.lines).toEqual(['FREEZE year-end created']);
  });

  it('refuses the form for a window in the freeze, on the window field, saying how to go ahead', async () => {
    const answer = await file({ code: 'CHG-311', ...inFreeze, devices: ['web02'] });
    expect(answer).toEqual({
      response_action: 'errors',
      errors: {
        windowStart: `Falls in the change freeze year-end (Year-end trading: ${day(freezeDay)} to ${day(new Date(freezeDay.getTime() + DAY))}, UTC): choose a window outside it, or flag the change an emergency (it then needs 2 approvals instead of 1)`,
      },
    });
    expect(await h.store.changes.findByCode('CHG-311')).toBeNull();
    // The same window on a server the freeze does not cover is fine.
    expect(await file({ code: 'CHG-312', ...inFreeze, devices: ['web01'] })).toEqual({ response_action: 'clear' });
  });

  it('files an emergency into the freeze, which two different approvers must approve', async () => {
    const answer = await file({ code: 'CHG-320', ...inFreeze, devices: ['web02'], emergency: true });
    expect(answer.response_action).toBe('update');
    expect(text(answer.view)).toContain(':no_entry: *In the change freeze year-end*: Year-end trading');
    expect(text(answer.view)).toContain('As an emergency it needs *2 approvals* from different approvers.');
    const filed = await h.store.changes.findByCode('CHG-320');
    expect(filed).toMatchObject({ emergency: true, status: 'pending_approval' });
    const created = (await h.store.audit.list({ change: 'CHG-320', eventType: 'CREATE', limit: 1, offset: 0 })).records[0];
    expect(created?.details).toBe('change filed for web02 in web-ops as an emergency');

    const card = await cardFor('CHG-320', SLACK.bob);
    expect(text(card.args.blocks)).toContain(':rotating_light: *Emergency*: filed into a change freeze, it needs 2 approvals from different approvers');
    expect(text(card.args.blocks)).toContain('pending approval (0 of 2');
    const approve = (card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id === 'change_approve')!.value;

    expect((await h.click(SLACK.bob, 'change_approve', approve, 'bob-approves')).status).toBe(200);
    await eventually('bob\'s approval', async () => ((await h.store.changes.findByCode('CHG-320'))?.approvals.length === 1 ? true : null));
    expect((await h.store.changes.findByCode('CHG-320'))?.status).toBe('pending_approval');
    // bob again counts once; alice filed it (four eyes); carol completes the two.
    expect((await h.click(SLACK.bob, 'change_approve', approve, 'bob-again')).status).toBe(200);
    expect(String((await eventually('bob\'s second answer', () => h.fake.responsesTo('bob-again')[0])).body.text)).toContain('Bob already approved CHG-320');
    expect((await h.click(SLACK.carol, 'change_approve', approve, 'carol-approves')).status).toBe(200);
    await eventually('CHG-320 approved', async () => ((await h.store.changes.findByCode('CHG-320'))?.status === 'approved' ? true : null));
    const approvals = (await h.store.audit.list({ change: 'CHG-320', eventType: 'APPROVE', limit: 5, offset: 0 })).records.map((r) => [r.status, r.actor, r.details]);
    expect(approvals).toEqual([
      ['S', 'bob', 'approval 1 of 2 (emergency in freeze year-end)'],
      ['D', 'bob', 'bob already approved CHG-320'],
      ['S', 'carol', 'approval 2 of 2: change approved (emergency in freeze year-end)'],
    ]);
  });

  it('refuses an emergency in a freeze that the group has too few approvers for', async () => {
    const dbFreeze = await importPolicy(
      h.deps,
      `freezes:\n  - { id: year-end, from: ${day(freezeDay)}, to: ${day(new Date(freezeDay.getTime() + DAY))}, devices: [web02], groups: [db-ops], reason: Year-end trading }\n`,
      'freeze.yml',
      { userId: 'root', terminal: 'cli', kind: 'operator' },
    );
    expect(dbFreeze.lines).toEqual(['FREEZE year-end updated']);
    const answer = await file({ code: 'CHG-330', ...inFreeze, group: 'db-ops', devices: ['db01'], emergency: true });
    expect(answer).toEqual({
      response_action: 'errors',
      errors: { emergency: 'An emergency change in a freeze needs 2 approvals from different approvers, and db-ops has 1 who may approve your change' },
    });
  });

  it('refuses to approve a change the freeze caught before it was flagged an emergency', async () => {
    await expect(approveChange(h.deps, pendingBefore, { userId: 'bob', terminal: 'slack' })).rejects.toThrow(
      `the window of ${pendingBefore} falls in the change freeze year-end (Year-end trading: ${day(freezeDay)} to ${day(new Date(freezeDay.getTime() + DAY))}, UTC): it cannot be approved unless alice moves it out, or flags it an emergency`,
    );
    const refused = (await h.store.audit.list({ change: pendingBefore, eventType: 'APPROVE', limit: 5, offset: 0 })).records;
    expect(refused.map((r) => r.status)).toEqual(['D']);
  });
});
