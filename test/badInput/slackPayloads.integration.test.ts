import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerChange } from '../../src/services/changes/registerChange.js';
import { UNMAPPED_USER_MESSAGE } from '../../src/slack/slackActor.js';
import { KNOWN_ACTION_IDS } from '../../src/slack/slackPayloadCheck.js';
import { eventually } from '../support/fakeSlackApi.js';
import { slackSignature } from '../support/signedSlackRequests.js';
import { SIGNING_SECRET, SLACK, startSlackHarness, type SlackHarness } from '../support/slackHarness.js';
import { expectIntact, takeSnapshot } from './storeSnapshot.js';

/**
 * Malformed and hostile Slack requests against the real Bolt receiver. Each is refused with
 * a clear answer (a 4xx naming what is wrong, an ephemeral line, or an error on the form
 * field) and leaves the store as it was. Already covered elsewhere (test/integration/slack):
 * forged and missing signatures, old timestamps, an unmapped user's slash command, unknown
 * subcommands, the form's field errors (window, empty or over-64-KiB script, code), mrkdwn and
 * JSON-breaking titles, four-eyes and script-hash-bound approvals, security-only buttons.
 */

const HOUR = 3600_000;
let h: SlackHarness;
let pending: { code: string; scriptHash: string };
let dbChange: { code: string; scriptHash: string };

beforeAll(async () => {
  h = await startSlackHarness();
  const file = async (code: string, group: string, devices: string[]) => {
    const now = Date.now();
    const change = await registerChange(
      h.deps,
      { code, title: `Change ${code}`, group, devices, script: 'systemctl reload nginx', windowStart: new Date(now + HOUR), windowEnd: new Date(now + 3 * HOUR) },
      { userId: 'alice', terminal: 'test' },
    );
    return { code: change.code, scriptHash: change.scriptHash };
  };
  pending = await file('CHG-700', 'web-ops', ['web01']);
  dbChange = await file('CHG-701', 'db-ops', ['db01']);
  // Let the notifications of the two changes settle, so each case starts from a quiet outbox.
  await eventually('the outbox to drain', async () => ((await h.store.outbox.list({ statuses: ['pending', 'sending'] })).length === 0 ? true : null));
});
afterAll(async () => h?.close());
beforeEach(() => h.fake.reset());

/**
 * A signed POST of any body to /slack/events, on a connection of its own: the server closes
 * the connection of a refused oversize body, which must not fail the next request.
 */
function signedPost(body: string, contentType: string): Promise<{ status: number; text: string }> {
  const timestamp = Math.floor(Date.now() / 1000);
  const url = new URL(h.eventsUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    // A server that refuses early may close before the whole body is written.
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    request.end(body);
  });
}
const asForm = (payload: string) => ({ body: new URLSearchParams({ payload }).toString(), type: 'application/x-www-form-urlencoded' });
const asCommand = (fields: Record<string, string>) => ({
  body: new URLSearchParams({ command: '/change', text: 'list', user_id: SLACK.alice, team_id: 'T01TEAM', response_url: h.fake.responseUrl('never'), trigger_id: 't', ...fields }).toString(),
  type: 'application/x-www-form-urlencoded',
});
const click = (overrides: Record<string, unknown>) =>
  JSON.stringify({ type: 'block_actions', user: { id: SLACK.bob }, response_url: h.fake.responseUrl('never'), actions: [{ action_id: 'change_approve', type: 'button', value: JSON.stringify(pending) }], ...overrides });

interface RefusedAtTheDoor {
  readonly name: string;
  readonly request: () => { body: string; type: string };
  readonly status: number;
  /** The body names what is wrong (Bolt's own body-parsing refusals have no body). */
  readonly says?: string | RegExp;
}

const refusedAtTheDoor: RefusedAtTheDoor[] = [
  { name: 'a JSON body cut short', request: () => ({ body: '{"type": "event_callback", "event": {', type: 'application/json' }), status: 400 },
  { name: 'a payload field that is not JSON', request: () => asForm('{not json'), status: 400 },
  { name: 'a text/plain body', request: () => ({ body: 'approve CHG-700', type: 'text/plain' }), status: 400 },
  { name: 'a payload that is a list', request: () => asForm('[1, 2]'), status: 400, says: 'malformed Slack request: the request is not a Slack payload object' },
  { name: 'a payload without a type', request: () => asForm(JSON.stringify({ user: { id: SLACK.bob } })), status: 400, says: 'malformed Slack request: the payload has no "type" and no "command"' },
  { name: 'a payload type changeguard does not handle', request: () => asForm(JSON.stringify({ type: 'dialog_submission', user: { id: SLACK.bob } })), status: 400, says: 'malformed Slack request: payload type "dialog_submission" is not one changeguard handles' },
  { name: 'a user given as a string', request: () => asForm(click({ user: SLACK.bob })), status: 400, says: 'malformed Slack request: user: expected object, got "U01BOB"' },
  { name: 'a user id that is not a Slack id', request: () => asForm(click({ user: { id: '../../admin' } })), status: 400, says: 'malformed Slack request: user.id: must be a Slack id, got "../../admin"' },
  { name: 'actions that are not a list', request: () => asForm(click({ actions: 'approve' })), status: 400, says: 'malformed Slack request: actions: expected array, got "approve"' },
  { name: 'a missing actions field', request: () => asForm(click({ actions: undefined })), status: 400, says: 'malformed Slack request: actions: is required (array)' },
  { name: 'an action id changeguard never made', request: () => asForm(click({ actions: [{ action_id: 'drop_tables', value: '{}' }] })), status: 400, says: `malformed Slack request: actions[0].action_id: expected ${KNOWN_ACTION_IDS.join('|')}, got "drop_tables"` },
  { name: 'a button value of the wrong type', request: () => asForm(click({ actions: [{ action_id: 'change_approve', value: { code: 'CHG-700' } }] })), status: 400, says: 'malformed Slack request: actions[0].value: expected string, got a mapping' },
  {
    name: 'a form changeguard never made',
    request: () => asForm(JSON.stringify({ type: 'view_submission', user: { id: SLACK.alice }, view: { callback_id: 'grant_admin', private_metadata: '', state: { values: {} } } })),
    status: 400,
    says: 'malformed Slack request: view.callback_id: expected new_change|reject_change, got "grant_admin"',
  },
  {
    name: 'a form field of the wrong type',
    request: () => asForm(JSON.stringify({ type: 'view_submission', user: { id: SLACK.alice }, view: { callback_id: 'new_change', private_metadata: '', state: { values: { code: { value: { value: 42 } } } } } })),
    status: 400,
    says: 'malformed Slack request: view.state.values.code.value.value: expected string, got 42',
  },
  { name: 'a slash command changeguard does not offer', request: () => asCommand({ command: '/sudo' }), status: 400, says: 'malformed Slack request: command: expected /change, got "/sudo"' },
  { name: 'slash command text far over Slack\'s limit', request: () => asCommand({ text: `show ${'A'.repeat(9000)}` }), status: 400, says: /^malformed Slack request: text: must be at most 8000 characters, got "show A+\.\.\."$/ },
  { name: 'an event without a type', request: () => ({ body: JSON.stringify({ type: 'event_callback', event: { user: SLACK.alice } }), type: 'application/json' }), status: 400, says: 'malformed Slack request: event.type: is required (string)' },
  { name: 'a 5 MB payload', request: () => asForm(click({ padding: 'x'.repeat(5 * 1024 * 1024) })), status: 413 },
];

describe('Slack requests refused at the door', () => {
  for (const kase of refusedAtTheDoor) {
    it(`refuses ${kase.name} with ${kase.status}`, async () => {
      const before = await takeSnapshot(h.store);
      const { body, type } = kase.request();
      const response = await signedPost(body, type);
      expect(response.status).toBe(kase.status);
      if (typeof kase.says === 'string') expect(response.text).toBe(kase.says);
      else if (kase.says) expect(response.text).toMatch(kase.says);
      await expectIntact(h.store, before);
      expect(h.fake.calls).toEqual([]);
      expect(h.fake.responses).toEqual([]);
    });
  }

  it('checks the signature before the shape: a forged malformed request is 401', async () => {
    const body = new URLSearchParams({ payload: '[1, 2]' }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(h.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature('forged', timestamp, body) },
      body,
    });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain('malformed');
  });
});

type Answer = { kind: 'ephemeral'; text: string | RegExp } | { kind: 'form'; errors: Record<string, string | RegExp> };

interface HostileInteraction {
  readonly name: string;
  readonly send: (responseId: string) => Promise<Response>;
  readonly answer: Answer;
  /** Refusals the audit trail records (status D, denied). */
  readonly auditedRefusals?: number;
}

function newChangeForm(fields: { title?: string; description?: string; script?: string; metadata?: string }) {
  const start = new Date(Date.now() + HOUR);
  const end = new Date(start.getTime() + 2 * HOUR);
  return {
    values: {
      code: { value: { type: 'plain_text_input', value: '' } },
      title: { value: { type: 'plain_text_input', value: fields.title ?? 'Reload nginx' } },
      description: { value: { type: 'plain_text_input', value: fields.description ?? 'new certificate' } },
      windowStart: { value: { type: 'datetimepicker', selected_date_time: Math.floor(start.getTime() / 1000) } },
      windowEnd: { value: { type: 'datetimepicker', selected_date_time: Math.floor(end.getTime() / 1000) } },
      group: { new_change_group: { type: 'static_select', selected_option: { value: 'web-ops' } } },
      'devices:web-ops': { value: { type: 'multi_static_select', selected_options: [{ value: 'web01' }] } },
      script: { value: { type: 'plain_text_input', value: fields.script ?? 'systemctl reload nginx' } },
    },
    metadata: fields.metadata ?? JSON.stringify({ devicesBlock: 'devices:web-ops' }),
  };
}
const submitForm = (fields: Parameters<typeof newChangeForm>[0], user: string = SLACK.alice) => {
  const { values, metadata } = newChangeForm(fields);
  return h.submit(user, 'new_change', values, metadata);
};
const rejectWith = (user: string, metadata: string) => h.submit(user, 'reject_change', { reason: { value: { type: 'plain_text_input', value: 'not now' } } }, metadata);

const hostileInteractions: HostileInteraction[] = [
  { name: 'a click by a Slack user no policy entry names', send: (id) => h.click(SLACK.stranger, 'change_approve', JSON.stringify(pending), id), answer: { kind: 'ephemeral', text: UNMAPPED_USER_MESSAGE } },
  { name: 'Approve on another group\'s change, by someone who is not its approver', send: (id) => h.click(SLACK.carol, 'change_approve', JSON.stringify(dbChange), id), answer: { kind: 'ephemeral', text: /^Carol is not an approver of group db-ops/ }, auditedRefusals: 1 },
  {
    name: 'Approve pointing at a change that does not exist',
    send: (id) => h.click(SLACK.bob, 'change_approve', JSON.stringify({ code: 'CHG-99999', scriptHash: pending.scriptHash }), id),
    answer: { kind: 'ephemeral', text: /CHG-99999/ },
  },
  { name: 'Approve with a value changeguard did not make', send: (id) => h.click(SLACK.bob, 'change_approve', '{"code":{"$ne":null}}', id), answer: { kind: 'ephemeral', text: 'This button is not one changeguard made; nothing was done.' } },
  { name: 'Allow once with an injection object for the request', send: (id) => h.click(SLACK.bob, 'deviation_allow', '{"deviation":{"$ne":null}}', id), answer: { kind: 'ephemeral', text: 'This button is not one changeguard made; nothing was done.' } },
  { name: 'Deny pointing at a deviation request that does not exist', send: (id) => h.click(SLACK.bob, 'deviation_deny', '{"deviation":"no-such-request"}', id), answer: { kind: 'ephemeral', text: 'No deviation request no-such-request' } },
  { name: 'the new-change form sent by an unknown Slack user', send: () => submitForm({}, SLACK.stranger), answer: { kind: 'form', errors: { title: UNMAPPED_USER_MESSAGE } } },
  { name: 'a title over 200 characters', send: () => submitForm({ title: 'T'.repeat(201) }), answer: { kind: 'form', errors: { title: 'Must be at most 200 characters' } } },
  { name: 'a description over 4000 characters', send: () => submitForm({ description: 'd'.repeat(4001) }), answer: { kind: 'form', errors: { description: 'Must be at most 4000 characters' } } },
  {
    name: 'a title carrying a terminal escape sequence',
    send: () => submitForm({ title: 'Reload \u001b[8mnginx' }),
    answer: { kind: 'form', errors: { title: 'Contains an invisible control character (U+001B escape) at character 8' } },
  },
  { name: 'a title broken over two lines', send: () => submitForm({ title: 'Reload\nnginx' }), answer: { kind: 'form', errors: { title: 'Contains a line break (U+000A) at character 7' } } },
  { name: 'a title with half a character (a lone surrogate)', send: () => submitForm({ title: 'Reload \ud800 nginx' }), answer: { kind: 'form', errors: { title: 'Contains half of a character (a lone surrogate) (U+D800) at character 8' } } },
  {
    name: 'a script hiding its order with a right-to-left override (Trojan Source)',
    send: () => submitForm({ script: 'echo safe \u202e; fr- mr' }),
    answer: { kind: 'form', errors: { script: 'Contains an invisible control character (U+202E right-to-left override) at character 11' } },
  },
  { name: 'a script with a C1 control character', send: () => submitForm({ script: 'echo ok\u009b2J' }), answer: { kind: 'form', errors: { script: 'Contains an invisible control character (U+009B C1 CSI) at character 8' } } },
  { name: 'a form whose metadata names a prototype key', send: () => submitForm({ metadata: JSON.stringify({ devicesBlock: '__proto__' }) }), answer: { kind: 'form', errors: { '__proto__': /./ } } },
  { name: 'a rejection whose form points at another group\'s change', send: () => rejectWith(SLACK.carol, JSON.stringify({ code: dbChange.code })), answer: { kind: 'form', errors: { reason: /^Carol is not an approver of group db-ops/ } }, auditedRefusals: 1 },
  { name: 'a rejection whose form metadata is an injection object', send: () => rejectWith(SLACK.bob, '{"code":{"$gt":""}}'), answer: { kind: 'form', errors: { reason: 'This form is not one changeguard made; nothing was done.' } } },
  { name: '/change with a NUL byte', send: (id) => h.command(SLACK.alice, 'show CHG-700\u0000', id), answer: { kind: 'ephemeral', text: 'The command contains an invisible control character (U+0000 NUL) at character 13; nothing was done. Retype it without that character.' } },
  {
    name: '/change with a right-to-left override',
    send: (id) => h.command(SLACK.alice, 'cancel \u202e007-GHC', id),
    answer: { kind: 'ephemeral', text: 'The command contains an invisible control character (U+202E right-to-left override) at character 8; nothing was done. Retype it without that character.' },
  },
  { name: '/change with a very long argument', send: (id) => h.command(SLACK.alice, `show ${'CHG-'.repeat(1900)}`, id), answer: { kind: 'ephemeral', text: /^"CHG-CHG-[CHG-]{0,50}" is not a change code \(like CHG-42\)\. Usage: `\/change show CHG-42`$/ } },
  { name: '/change cancel of someone else\'s change', send: (id) => h.command(SLACK.dave, `cancel ${pending.code}`, id), answer: { kind: 'ephemeral', text: /^Only alice, who filed CHG-700, can cancel it/ }, auditedRefusals: 1 },
];

describe('hostile Slack interactions', () => {
  let counter = 0;
  for (const kase of hostileInteractions) {
    it(`refuses ${kase.name}`, async () => {
      const before = await takeSnapshot(h.store);
      const id = `hostile-${++counter}`;
      const response = await kase.send(id);
      expect(response.status).toBe(200);
      if (kase.answer.kind === 'form') {
        const body = (await response.json()) as { response_action: string; errors: Record<string, string> };
        expect(body.response_action).toBe('errors');
        for (const [field, message] of Object.entries(kase.answer.errors)) {
          if (typeof message === 'string') expect(body.errors[field]).toBe(message);
          else expect(Object.hasOwn(body.errors, field) ? body.errors[field] : undefined).toMatch(message);
        }
      } else {
        const answer = await eventually(`the answer to ${id}`, () => h.fake.responsesTo(id)[0]);
        expect(answer.body.response_type).toBe('ephemeral');
        if (typeof kase.answer.text === 'string') expect(answer.body.text).toBe(kase.answer.text);
        else expect(String(answer.body.text)).toMatch(kase.answer.text);
        expect(String(answer.body.text).split('\n')).toHaveLength(1);
      }
      await expectIntact(h.store, before, { auditedRefusals: kase.auditedRefusals ?? 0 });
      expect(h.fake.callsTo('chat.postMessage')).toEqual([]);
    });
  }
});
