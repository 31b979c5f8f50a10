import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../src/domain/audit/auditRecord.js';
import type { Change } from '../../../src/domain/change/change.js';
import { computeChangeAudit } from '../../../src/services/changes/changeAudit.js';
import { buildRule } from '../../support/factories.js';
import { eventually } from '../../support/fakeSlackApi.js';
import { startProxyHarness, TestTerminal, type ProxyHarness } from '../../support/proxyHarness.js';
import { startSlackHarness, type SlackHarness } from '../../support/slackHarness.js';

/**
 * Deviation approval through the real proxy on a real OpenSSH sshd, decided through the real
 * Bolt receiver with signed Slack requests, the request delivered to the fake Slack Web API by
 * the real outbox worker. The proxy and the Slack side are two stores on one SQLite file (two
 * processes, in effect): the decision reaches the waiting session through the store only.
 * "Did it run?" is answered on the target's filesystem.
 */

const TIMEOUT_MS = 8000;
let threads = 0;
let h: ProxyHarness;
let slack: SlackHarness;
let work: string;
const file = (name: string) => join(work, name);

beforeAll(async () => {
  h = await startProxyHarness({
    rules: [buildRule({ id: 'review-deviation', command: ['touch'], pattern: 'deviation-', action: 'review', risk: 'medium' })],
    deviationTimeoutMs: TIMEOUT_MS,
  });
  work = h.target.workDir;
  // The proxy's rows go to Slack: the Slack side's worker, on the same file, delivers them.
  h.deps.outbox.use({ slackEnabled: true });
  slack = await startSlackHarness({ sqliteFile: join(h.dir, 'changeguard.db'), applyPolicy: false });
});
afterAll(async () => {
  await slack?.close();
  await h?.stop();
});

/** An approved change in its window whose request was posted once (its thread), and alice's session on it. */
async function openSession(): Promise<{ change: Change; term: TestTerminal; thread: string }> {
  const change = await h.approvedChange({ devices: ['web01'], script: `touch ${file('deviation-planned')}` });
  const thread = `1700000000.00010${++threads}`;
  await h.store.slackMessages.record({ changeCode: change.code, channel: 'C01APPROVALS', ts: thread, audience: 'role:approvals', postedAt: new Date() });
  const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
  await term.justify('restart after config push');
  return { change, term, thread };
}

const occurrences = (text: string, what: string) => text.split(what).length - 1;
const WAITING = 'waiting for approval, Ctrl-C to cancel';

/** Types a line a review rule holds and waits until the proxy says it waits; returns the button value Slack got in the thread. */
async function typeHeld(term: TestTerminal, change: Change, thread: string, line: string): Promise<{ value: string; id: string }> {
  const waiting = occurrences(term.text(), WAITING);
  term.type(`${line}\r`);
  await term.waitFor((t) => occurrences(t.text(), WAITING) > waiting, 'the waiting notice');
  const request = (await h.store.deviations.listByChange(change.code)).find((r) => r.line === line && r.status === 'pending');
  if (!request) throw new Error(`no pending request for ${line}`);
  const post = await eventually('the request in the change\'s Slack thread', () =>
    slack.fake.callsTo('chat.postMessage').find((call) => call.args.thread_ts === thread && JSON.stringify(call.args.blocks ?? '').includes(request.id)),
  ).catch(async (error: unknown) => {
    const rows = await h.store.outbox.list({ limit: 20 });
    throw new Error(`${String(error)}; outbox: ${JSON.stringify(rows.map((r) => [r.type, r.status, r.lastError, r.dedupeKey]))}; calls: ${JSON.stringify(slack.fake.calls.map((c) => [c.method, c.status, c.args.thread_ts]))}`);
  });
  const blocks = post.args.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[];
  const allow = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'deviation_allow');
  expect(post.args.channel).toBe('C01APPROVALS');
  expect(JSON.stringify(post.args.blocks)).toContain('Deny');
  return { value: allow?.value ?? '', id: request.id };
}

async function deviationRecords(code: string): Promise<string[]> {
  const records: AuditRecord[] = [];
  for await (const record of h.store.audit.iterate({ change: code })) records.push(record);
  return records.filter((r) => r.eventType.startsWith('DEVIATION_')).map((r) => `${r.eventType}:${r.status}:${r.actor}`);
}

describe('deviation approval through the proxy and Slack', () => {
  it('holds an unplanned command until another approver allows it once in the thread, then runs it', async () => {
    const { change, term, thread } = await openSession();
    // Planned: the review rule matches, but the approvers saw it already.
    let before = term.prompts();
    term.type(`touch ${file('deviation-planned')}\r`);
    await term.waitForPrompt(before + 1);
    expect(existsSync(file('deviation-planned'))).toBe(true);
    expect(term.text()).not.toContain(WAITING);

    before = term.prompts();
    const held = await typeHeld(term, change, thread, `touch ${file('deviation-allowed')}`);
    expect(existsSync(file('deviation-allowed'))).toBe(false);

    // alice typed it: her click is refused (four eyes) and nothing runs.
    expect((await slack.click('U01ALICE', 'deviation_allow', held.value, 'self-click')).status).toBe(200);
    const refusal = await eventually('the refusal', () => slack.fake.responsesTo('self-click')[0]);
    expect(String(refusal.body.text)).toContain('cannot review it (four-eyes rule)');
    expect((await h.store.deviations.findById(held.id))?.status).toBe('pending');
    expect(existsSync(file('deviation-allowed'))).toBe(false);

    expect((await slack.click('U01BOB', 'deviation_allow', held.value, 'bob-click')).status).toBe(200);
    await term.waitForPrompt(before + 1);
    expect(existsSync(file('deviation-allowed'))).toBe(true);
    expect(term.text()).toContain('allowed once by an approver');
    const answer = await eventually('the answer to bob', () => slack.fake.responsesTo('bob-click')[0]);
    expect(String(answer.body.text)).toContain('Allowed once');

    const commands = (await h.store.commands.listByChange(change.code)).map((c) => [c.line, c.verdict]);
    expect(commands).toEqual([
      [`touch ${file('deviation-planned')}`, 'allow'],
      [`touch ${file('deviation-allowed')}`, 'allow'],
    ]);
    const audit = await computeChangeAudit(h.deps, change.code);
    expect(audit.audit.executed.map((e) => [e.status, e.approvedBy ?? null])).toEqual([
      ['planned', null],
      ['deviation', 'bob'],
    ]);
    expect(await deviationRecords(change.code)).toEqual(['DEVIATION_REQUEST:S:alice', 'DEVIATION_ALLOW:D:alice', 'DEVIATION_ALLOW:S:bob']);
    // The outcome is posted in the thread too.
    await eventually('the decision in the thread', () =>
      slack.fake.callsTo('chat.postMessage').find((c) => c.args.thread_ts === thread && String(c.args.text).includes('Deviation allowed')),
    );
    term.close();
  });

  it('runs nothing when the approver denies, the user cancels with Ctrl-C, or nobody decides in time', async () => {
    const { change, term, thread } = await openSession();
    let before = term.prompts();
    const denied = await typeHeld(term, change, thread, `touch ${file('deviation-denied')}`);
    expect((await slack.click('U01BOB', 'deviation_deny', denied.value, 'deny-click')).status).toBe(200);
    await term.waitForPrompt(before + 1);
    expect(term.text()).toContain('deviation denied by bob: it was not run');

    before = term.prompts();
    const cancelled = await typeHeld(term, change, thread, `touch ${file('deviation-cancelled')}`);
    term.type('\x03');
    await term.waitForPrompt(before + 1);
    expect(term.text()).toContain('deviation request cancelled: it was not run');

    before = term.prompts();
    const started = Date.now();
    const timedOut = await typeHeld(term, change, thread, `touch ${file('deviation-timeout')}`);
    await term.waitForPrompt(before + 1, TIMEOUT_MS + 15_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 500);
    expect(term.text()).toContain('no approver decided in time');
    // A click after the timeout changes nothing.
    await slack.click('U01BOB', 'deviation_allow', timedOut.value, 'late-click');
    const late = await eventually('the late answer', () => slack.fake.responsesTo('late-click')[0]);
    expect(String(late.body.text)).toContain('timed out');

    // Proof on the target: none of them ran.
    for (const name of ['deviation-denied', 'deviation-cancelled', 'deviation-timeout']) expect(existsSync(file(name)), name).toBe(false);
    expect((await h.store.deviations.listByChange(change.code)).map((r) => [r.id, r.status])).toEqual([
      [denied.id, 'denied'],
      [cancelled.id, 'cancelled'],
      [timedOut.id, 'timed_out'],
    ]);
    expect((await h.store.commands.listByChange(change.code)).map((c) => c.verdict)).toEqual(['block', 'block', 'block']);
    expect(await deviationRecords(change.code)).toEqual([
      'DEVIATION_REQUEST:S:alice',
      'DEVIATION_DENY:S:bob',
      'DEVIATION_REQUEST:S:alice',
      'DEVIATION_CANCEL:S:alice',
      'DEVIATION_REQUEST:S:alice',
      'DEVIATION_TIMEOUT:D:system',
      'DEVIATION_ALLOW:D:bob',
    ]);
    // The session goes on: an ordinary command still runs.
    before = term.prompts();
    term.type(`touch ${file('after-deviations')}\r`);
    await term.waitForPrompt(before + 1);
    expect(existsSync(file('after-deviations'))).toBe(true);
    term.close();
  });
});
