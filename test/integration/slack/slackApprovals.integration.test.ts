import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../support/fakeSlackApi.js';
import { eventually } from '../../support/fakeSlackApi.js';
import { newChangeFormValues, type NewChangeForm } from '../../support/slackForms.js';
import { SLACK, startSlackHarness, type SlackHarness } from '../../support/slackHarness.js';
import { editChange } from '../../../src/services/changes/editChange.js';
import { rescheduleChange } from '../../../src/services/changes/rescheduleChange.js';

const HOUR = 3600_000;
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.fake.reset();
});

type Form = NewChangeForm;

let filed = 0;
/** Each change on a window of its own, after the ones set by hand: overlapping ones get a warning answer instead (slackCollisionFreeze). */
async function fileChange(form: Form): Promise<Response> {
  const { values, metadata } = newChangeFormValues({ start: new Date(Date.now() + (48 + 3 * ++filed) * HOUR), ...form });
  return h.submit(SLACK.alice, 'new_change', values, metadata);
}

/** Files a change and waits until its four copies (requester, bob, carol, channel) are posted. */
async function fileAndPost(code: string, form: Form = {}): Promise<Map<string, RecordedCall>> {
  const response = await fileChange({ ...form, code });
  expect(await response.json()).toEqual({ response_action: 'clear' });
  const copies = await eventually(`the copies of ${code}`, async () => {
    const posted = await h.store.slackMessages.listByChange(code);
    return posted.length === 4 ? posted : null;
  });
  expect(copies.map((c) => c.audience).sort()).toEqual(['channel:C01WEBOPS', 'user:alice', 'user:bob', 'user:carol']);
  const cards = new Map<string, RecordedCall>();
  for (const call of h.fake.callsTo('chat.postMessage')) {
    if (!call.args.thread_ts && String(call.args.text).includes(code)) cards.set(String(call.args.channel), call);
  }
  expect([...cards.keys()].sort()).toEqual(['C01WEBOPS', SLACK.alice, SLACK.bob, SLACK.carol]);
  return cards;
}

function blocksOf(call: RecordedCall | undefined): Record<string, unknown>[] {
  return (call?.args.blocks as Record<string, unknown>[] | undefined) ?? [];
}

function reviewValue(card: RecordedCall | undefined): string {
  const actions = blocksOf(card).find((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] } | undefined;
  const approve = actions?.elements.find((e) => e.action_id === 'change_approve');
  if (!approve) throw new Error('the card has no Approve button');
  return approve.value;
}

async function ephemeralAnswer(responseId: string): Promise<string> {
  const response = await eventually(`the answer to ${responseId}`, () => h.fake.responsesTo(responseId)[0]);
  expect(response.body.response_type).toBe('ephemeral');
  return String(response.body.text);
}

describe('filing, approving and notifying', () => {
  it('opens the form with a suggested code and the requester’s groups', async () => {
    const response = await h.command(SLACK.alice, 'new');
    expect(response.status).toBe(200);
    const open = await eventually('views.open', () => h.fake.callsTo('views.open')[0]);
    const view = open.args.view as { callback_id: string; blocks: { block_id?: string; element?: { initial_value?: string; options?: { value: string }[] } }[] };
    expect(view.callback_id).toBe('new_change');
    expect(view.blocks.find((b) => b.block_id === 'code')?.element?.initial_value).toMatch(/^CHG-\d+$/);
    expect(view.blocks.find((b) => b.block_id === 'group')?.element?.options?.map((o) => o.value)).toEqual(['web-ops', 'db-ops']);
    expect(view.blocks.find((b) => b.block_id === 'devices:web-ops')?.element?.options?.map((o) => o.value)).toEqual(['web01', 'web02']);
    // Slack takes 3,000 characters of script; the hint names the web form that takes 64 KiB.
    expect(JSON.stringify(view.blocks.find((b) => b.block_id === 'script'))).toContain('longer scripts (up to 64 KiB) at https://changeguard.example/changes/new');
  });

  it('files, sends each approver the request, approves with one click, edits every copy and tells the requester', async () => {
    const cards = await fileAndPost('CHG-100');
    // Approvers (and the channel) get the buttons; the requester's copy has none.
    expect(blocksOf(cards.get(SLACK.alice)).some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(blocksOf(cards.get(SLACK.bob)))).toContain('https://changeguard.example/approve/');
    expect(JSON.stringify(blocksOf(cards.get('C01WEBOPS')))).not.toContain('/approve/');
    const change = await h.store.changes.findByCode('CHG-100');
    expect(JSON.parse(reviewValue(cards.get(SLACK.bob)))).toEqual({ code: 'CHG-100', scriptHash: change?.scriptHash });

    const click = await h.click(SLACK.bob, 'change_approve', reviewValue(cards.get(SLACK.bob)), 'bob-approves');
    expect(click.status).toBe(200);
    expect(await ephemeralAnswer('bob-approves')).toBe('You approved CHG-100: it is approved.');
    expect((await h.store.changes.findByCode('CHG-100'))?.status).toBe('approved');

    const updates = await eventually('four edited copies', () => {
      const calls = h.fake.callsTo('chat.update');
      return calls.length === 4 ? calls : null;
    });
    const copies = await h.store.slackMessages.listByChange('CHG-100');
    expect(updates.map((u) => `${String(u.args.channel)}:${String(u.args.ts)}`).sort()).toEqual(copies.map((c) => `${c.channel}:${c.ts}`).sort());
    for (const update of updates) {
      expect(JSON.stringify(update.args.blocks)).toContain('approved by Bob');
      expect(blocksOf(update).some((b) => b.type === 'actions')).toBe(false);
    }
    const replies = await eventually('a thread reply under each copy', () => {
      const calls = h.fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts);
      return calls.length === 4 ? calls : null;
    });
    expect(replies.map((r) => String(r.args.thread_ts)).sort()).toEqual(copies.map((c) => c.ts).sort());
    expect(String(replies[0]?.args.text)).toContain('CHG-100 approved by Bob');
    const outcome = await eventually('the requester’s outcome DM', () =>
      h.fake.callsTo('chat.postMessage').find((c) => c.args.channel === SLACK.alice && !c.args.thread_ts && String(c.args.text).startsWith('CHG-100 approved')),
    );
    expect(outcome.args.text).toBe('CHG-100 approved by Bob');
    const audit = await h.store.audit.list({ change: 'CHG-100', eventType: 'APPROVE' });
    expect(audit.records.map((r) => [r.actor, r.status])).toEqual([['bob', 'S']]);

    // A second click (or one on a stale copy) changes nothing.
    await h.click(SLACK.carol, 'change_approve', reviewValue(cards.get(SLACK.carol)), 'carol-late');
    expect(await ephemeralAnswer('carol-late')).toBe('CHG-100 is approved, not pending approval');
    expect((await h.store.changes.findByCode('CHG-100'))?.version).toBe(change!.version + 1);
  });

  it('asks the approvers again when the requester edits or reschedules an approved change (on the web)', async () => {
    const cards = await fileAndPost('CHG-150');
    await h.click(SLACK.bob, 'change_approve', reviewValue(cards.get(SLACK.bob)), 'bob-approves-150');
    expect(await ephemeralAnswer('bob-approves-150')).toBe('You approved CHG-150: it is approved.');
    h.fake.reset();
    const alice = { userId: 'alice', terminal: 'web 127.0.0.1' };
    await editChange(h.deps, 'CHG-150', alice, { title: 'Reload nginx', description: 'and test it first', devices: ['web01'], script: 'nginx -t\nsystemctl reload nginx', reason: 'test first' });
    const fresh = async (what: string) =>
      eventually(`fresh requests after the ${what}`, () => {
        const posted = h.fake.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts && String(c.args.text).startsWith('Change request CHG-150'));
        return posted.length === 3 ? posted : null;
      });
    const afterEdit = await fresh('edit');
    // bob, carol and the group's channel; alice made the change and is not asked.
    expect(afterEdit.map((c) => String(c.args.channel)).sort()).toEqual(['C01WEBOPS', SLACK.bob, SLACK.carol].sort());
    const bobCard = afterEdit.find((c) => c.args.channel === SLACK.bob);
    expect(JSON.stringify(blocksOf(bobCard))).toContain('Alice edited this request after filing it: earlier approvals no longer count');
    const edited = await h.store.changes.findByCode('CHG-150');
    expect(JSON.parse(reviewValue(bobCard))).toEqual({ code: 'CHG-150', scriptHash: edited?.scriptHash });
    // The earlier copies show it pending again.
    const refreshed = await eventually('the old copies refreshed', () => {
      const calls = h.fake.callsTo('chat.update').filter((c) => JSON.stringify(c.args.blocks).includes('pending approval'));
      return calls.length >= 4 ? calls : null;
    });
    expect(refreshed.length).toBeGreaterThanOrEqual(4);

    h.fake.reset();
    await rescheduleChange(h.deps, 'CHG-150', alice, { windowStart: new Date(Date.now() + 24 * HOUR), windowEnd: new Date(Date.now() + 26 * HOUR) });
    const afterReschedule = await fresh('reschedule');
    expect(JSON.stringify(blocksOf(afterReschedule.find((c) => c.args.channel === SLACK.carol)))).toContain('Alice rescheduled this request after filing it');
  });

  it('refuses the requester’s own approval (four-eyes), even from the channel copy', async () => {
    const cards = await fileAndPost('CHG-101');
    await h.click(SLACK.alice, 'change_approve', reviewValue(cards.get('C01WEBOPS')), 'alice-self');
    expect(await ephemeralAnswer('alice-self')).toBe('Alice filed CHG-101 and cannot review it (four-eyes rule)');
    const change = await h.store.changes.findByCode('CHG-101');
    expect(change).toMatchObject({ status: 'pending_approval', approvals: [] });
    const denied = await h.store.audit.list({ change: 'CHG-101', eventType: 'APPROVE' });
    expect(denied.records.map((r) => [r.actor, r.status])).toEqual([['alice', 'D']]);
  });

  it('binds an approval to the script shown: another hash is refused', async () => {
    const cards = await fileAndPost('CHG-102');
    const value = JSON.parse(reviewValue(cards.get(SLACK.bob))) as { code: string; scriptHash: string };
    await h.click(SLACK.bob, 'change_approve', JSON.stringify({ ...value, scriptHash: 'f'.repeat(64) }), 'bob-stale-script');
    expect(await ephemeralAnswer('bob-stale-script')).toBe('The script of CHG-102 changed since it was shown; review it again');
    expect((await h.store.changes.findByCode('CHG-102'))?.status).toBe('pending_approval');
  });

  it('gives exactly one transition when two approvers click at once', async () => {
    const cards = await fileAndPost('CHG-103');
    await Promise.all([
      h.click(SLACK.bob, 'change_approve', reviewValue(cards.get(SLACK.bob)), 'race-bob'),
      h.click(SLACK.carol, 'change_approve', reviewValue(cards.get(SLACK.carol)), 'race-carol'),
    ]);
    const answers = [await ephemeralAnswer('race-bob'), await ephemeralAnswer('race-carol')].sort();
    expect(answers[0]).toBe('CHG-103 is approved, not pending approval');
    expect(answers[1]).toBe('You approved CHG-103: it is approved.');
    const change = await h.store.changes.findByCode('CHG-103');
    expect(change?.status).toBe('approved');
    expect(change?.approvals).toHaveLength(1);
    const approvals = await h.store.audit.list({ change: 'CHG-103', eventType: 'APPROVE', status: 'S' });
    expect(approvals.total).toBe(1);
    // One outcome DM, whatever the race.
    await eventually('the outcome DM', () => h.fake.callsTo('chat.postMessage').find((c) => c.args.channel === SLACK.alice && String(c.args.text).startsWith('CHG-103 approved')));
    const dms = (await h.store.outbox.list({ audience: 'user:alice' })).filter((m) => m.placement.kind === 'post' && !m.placement.threadTs);
    expect(dms.filter((m) => m.text.startsWith('CHG-103 approved'))).toHaveLength(1);
  });

  it('rejects with a reason asked for in a form, and tells the requester why', async () => {
    const cards = await fileAndPost('CHG-104');
    await h.click(SLACK.bob, 'change_reject', reviewValue(cards.get(SLACK.bob)), 'bob-rejects');
    const open = await eventually('the rejection form', () => h.fake.callsTo('views.open').at(-1));
    const form = open.args.view as { callback_id: string; private_metadata: string };
    expect(form.callback_id).toBe('reject_change');

    const empty = await h.submit(SLACK.bob, 'reject_change', { reason: { value: { type: 'plain_text_input', value: '  ' } } }, form.private_metadata);
    expect(await empty.json()).toEqual({ response_action: 'errors', errors: { reason: 'A rejection needs a reason' } });
    expect((await h.store.changes.findByCode('CHG-104'))?.status).toBe('pending_approval');

    const submitted = await h.submit(SLACK.bob, 'reject_change', { reason: { value: { type: 'plain_text_input', value: 'Not during the sale <week>' } } }, form.private_metadata);
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toBe('');
    expect(await h.store.changes.findByCode('CHG-104')).toMatchObject({ status: 'rejected', rejection: { by: 'bob', reason: 'Not during the sale <week>' } });
    const dm = await eventually('the rejection DM', () =>
      h.fake.callsTo('chat.postMessage').find((c) => c.args.channel === SLACK.alice && !c.args.thread_ts && String(c.args.text).includes('rejected')),
    );
    expect(dm.args.text).toBe('CHG-104 rejected by Bob: Not during the sale &lt;week&gt;');
    await eventually('four edited copies', () => h.fake.callsTo('chat.update').filter((u) => JSON.stringify(u.args.blocks).includes('rejected by Bob')).length === 4);

    // Too late for a second rejection: the form says so on its field.
    const again = await h.submit(SLACK.carol, 'reject_change', { reason: { value: { type: 'plain_text_input', value: 'me too' } } }, form.private_metadata);
    expect(await again.json()).toEqual({ response_action: 'errors', errors: { reason: 'CHG-104 is rejected, not pending approval' } });
  });

  it('revokes an approved change with a reason, and refuses non-approvers and missing reasons', async () => {
    const cards = await fileAndPost('CHG-105');
    await h.click(SLACK.bob, 'change_approve', reviewValue(cards.get(SLACK.bob)), 'approve-105');
    await ephemeralAnswer('approve-105');

    await h.command(SLACK.carol, 'revoke CHG-105', 'revoke-no-reason');
    expect(await ephemeralAnswer('revoke-no-reason')).toBe('A revocation needs a reason: `/change revoke CHG-42 <reason>`');
    await h.command(SLACK.erin, 'revoke CHG-105 I am only an auditor', 'revoke-auditor');
    expect(await ephemeralAnswer('revoke-auditor')).toBe('Erin is not an approver of group web-ops');
    await h.command(SLACK.carol, 'revoke chg-105 Vendor found a bug in the new build', 'revoke-ok');
    expect(await ephemeralAnswer('revoke-ok')).toBe('CHG-105 is revoked; its live sessions are being closed.');
    expect(await h.store.changes.findByCode('CHG-105')).toMatchObject({ status: 'revoked', revocation: { by: 'carol', reason: 'Vendor found a bug in the new build' } });
    const dm = await eventually('the revocation DM', () =>
      h.fake.callsTo('chat.postMessage').find((c) => c.args.channel === SLACK.alice && !c.args.thread_ts && String(c.args.text).includes('revoked')),
    );
    expect(dm.args.text).toBe('CHG-105 revoked by Carol: Vendor found a bug in the new build');
    await eventually('revoked copies', () => h.fake.callsTo('chat.update').filter((u) => JSON.stringify(u.args.blocks).includes('revoked by Carol')).length === 4);
  });
});

describe('the new-change form', () => {
  it('shows each problem on its field and files nothing', async () => {
    const now = Date.now();
    const cases: [Form, Record<string, string>][] = [
      [{ code: 'CHG-200', start: new Date(now + 3 * HOUR), end: new Date(now + 2 * HOUR) }, { windowEnd: 'Must be after the start' }],
      [{ code: 'CHG-201', start: new Date(now - 3 * HOUR), end: new Date(now - 2 * HOUR) }, { windowEnd: 'Is in the past' }],
      [{ code: 'CHG-202', script: '   \n ' }, { script: 'Is empty: list the exact commands you will run' }],
      [{ code: 'CHG-203', devices: ['db01'] }, { 'devices:web-ops': 'Not in group web-ops: db01' }],
      [{ code: 'CHG-204', script: `${'echo padding-line-of-text\n'.repeat(3000)}` }, { script: 'Is larger than 64 KiB' }],
      [{ code: 'not a code' }, { code: 'Must look like CHG-42 (letters, a dash, then letters or digits)' }],
      [{ code: 'CHG-205', title: '' }, { title: 'Is required' }],
    ];
    for (const [form, errors] of cases) {
      const response = await fileChange(form);
      expect(await response.json(), JSON.stringify(errors)).toEqual({ response_action: 'errors', errors });
    }
    expect(await h.store.changes.list({ limit: 100 }).then((all) => all.filter((c) => /^CHG-20\d$/.test(c.code)))).toEqual([]);
  });

  it('refuses a code already taken, on the code field', async () => {
    expect(await (await fileChange({ code: 'CHG-210' })).json()).toEqual({ response_action: 'clear' });
    expect(await (await fileChange({ code: 'chg-210', title: 'Another' })).json()).toEqual({ response_action: 'errors', errors: { code: 'CHG-210 is already taken' } });
    expect((await h.store.changes.findByCode('CHG-210'))?.title).toBe('Reload nginx');
  });
});

describe('hostile text', () => {
  it('cannot break a message or ping anyone', async () => {
    const title = '<!channel> "}]} <@U01BOB> & <https://evil.example|click here>';
    const cards = await fileAndPost('CHG-300', { title, description: '*bold* "}]' });
    for (const card of cards.values()) {
      const serialized = JSON.stringify(card.args.blocks) + String(card.args.text);
      expect(serialized).not.toContain('<!channel>');
      expect(serialized).not.toContain('<@U01BOB>');
      expect(serialized).not.toContain('<https://evil.example');
      expect(serialized).toContain('&lt;!channel&gt; \\"}]} &lt;@U01BOB&gt; &amp; &lt;https://evil.example|click here&gt;');
      expect(blocksOf(card).length).toBeGreaterThan(2);
    }
    const stored = (await h.store.outbox.list({ audience: 'user:bob' })).find((m) => m.text.includes('CHG-300'));
    expect(stored?.text).toBe(`Change request CHG-300: ${title} (pending approval)`);
  });
});
