import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideAccess, type AccessSubject, type Action, type Asker } from '../../src/domain/access/authorisation.js';
import type { Change } from '../../src/domain/change/change.js';
import { systemClock } from '../../src/domain/clock.js';
import type { Policy } from '../../src/domain/policy/policy.js';
import { createLogger } from '../../src/logger.js';
import { PeriodReportRenderer } from '../../src/notify/periodReportRenderer.js';
import { SlackTemplates } from '../../src/notify/slackTemplates.js';
import { WebLinks } from '../../src/notify/webLinks.js';
import { generateEd25519KeyPair } from '../../src/proxy/hostKey.js';
import { systemActor } from '../../src/services/actor.js';
import { startChange } from '../../src/services/changes/changeWindow.js';
import { registerChange } from '../../src/services/changes/registerChange.js';
import { approveChange } from '../../src/services/changes/reviewChange.js';
import { ApprovalLinks } from '../../src/services/links/approvalLinks.js';
import { createServiceDeps, type ServiceDeps } from '../../src/services/serviceDeps.js';
import { createSlackAdapter, SLACK_EVENTS_PATH } from '../../src/slack/slackAdapter.js';
import { UNMAPPED_USER_MESSAGE } from '../../src/slack/slackActor.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { draftFingerprint } from '../../src/web/routes/changeForm.js';
import { dateToWallTime } from '../../src/domain/time/wallTime.js';
import { createWebApp } from '../../src/web/webApp.js';
import { buildGroup, buildOpenApprovedChange, buildPolicy, buildUser } from '../support/factories.js';
import { FakeSlackApi } from '../support/fakeSlackApi.js';
import { freePort } from '../support/freePort.js';
import { runCliProcess } from '../support/runCliProcess.js';
import { sharedParser } from '../support/sharedParser.js';
import { slackUserRequests, type SlackUserRequests } from '../support/slackUserRequests.js';
import { waitFor } from '../support/waitFor.js';
import { WebClient } from '../support/webClient.js';

/**
 * Authorisation in one place: every action goes through every adapter that offers it (Slack
 * over signed HTTP with the fake Web API, the web portal over HTTP, the CLI as a process), for
 * each kind of actor, and each adapter must reach the decision of the domain's table
 * (`domain/access/authorisation.ts`), refusing with the table's words. A few cells are also
 * spelled out by hand, so the table itself is held to what docs/DESIGN.md promises.
 */
const SIGNING_SECRET = 'matrix-signing-secret-0123456789abcdef';
const HOUR = 3_600_000;
const SCRIPT = 'systemctl reload nginx';

/** The kinds of actor, each a policy user (but `unmapped`, a Slack user the policy does not know). */
const ACTORS = {
  requester: { id: 'alice', slack: 'U01ALICE', roles: ['requester'] },
  executor: { id: 'erik', slack: 'U01ERIK', roles: ['requester'] },
  member: { id: 'mia', slack: 'U01MIA', roles: ['requester'] },
  approver: { id: 'bob', slack: 'U01BOB', roles: ['approver'] },
  otherApprover: { id: 'olga', slack: 'U01OLGA', roles: ['approver'] },
  auditor: { id: 'erin', slack: 'U01ERIN', roles: ['auditor'] },
  security: { id: 'sam', slack: 'U01SAM', roles: ['security'] },
  admin: { id: 'ada', slack: 'U01ADA', roles: ['admin'] },
  stranger: { id: 'sid', slack: 'U01SID', roles: ['requester'] },
} as const;
type ActorKind = keyof typeof ACTORS | 'unmapped';
const KINDS: readonly ActorKind[] = [...(Object.keys(ACTORS) as (keyof typeof ACTORS)[]), 'unmapped'];

const policy: Policy = buildPolicy({
  users: Object.values(ACTORS).map((a) => buildUser({ id: a.id, slack: a.slack, name: a.id, roles: [...a.roles] })),
  groups: [
    buildGroup({ id: 'web-ops', members: ['alice', 'erik', 'mia'], approvers: ['bob'], approvals: 1, devices: ['web01'], channel: 'C01WEBOPS' }),
    buildGroup({ id: 'db-ops', members: ['olga'], approvers: ['olga'], approvals: 1, devices: ['db01'] }),
  ],
  devices: [
    { id: 'web01', host: '127.0.0.1', port: 22, user: 'deploy', credential: { passwordEnv: 'WEB01_PASSWORD' } },
    { id: 'db01', host: '127.0.0.1', port: 22, user: 'deploy', credential: { passwordEnv: 'DB01_PASSWORD' } },
  ],
  channels: { approvals: 'C01APPROVALS', security: 'C01SECURITY', audit: 'C01AUDIT' },
});

let dir: string;
let store: SqliteStore;
let deps: ServiceDeps;
let fake: FakeSlackApi;
let slack: SlackUserRequests;
let webUrl: string;
const servers: Server[] = [];
const clients = new Map<string, WebClient>();
let counter = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-matrix-'));
  store = SqliteStore.open(join(dir, 'data', 'changeguard.db'));
  await store.policy.apply({ replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules }, channels: policy.channels, settings: policy.settings });
  deps = createServiceDeps({ store, clock: systemClock, parser: await sharedParser(), policyMaxAgeMs: 0 });
  const logger = createLogger('silent');
  const secret = Buffer.alloc(32, 9);
  fake = await FakeSlackApi.start();
  const listen = async (app: ReturnType<typeof createWebApp>) => {
    const port = await freePort();
    servers.push(await new Promise<Server>((resolve) => { const s = app.listen(port, '127.0.0.1', () => resolve(s)); }));
    return `http://127.0.0.1:${port}`;
  };
  const common = { deps, logger, bind: '127.0.0.1', secret, reportFormatter: PeriodReportRenderer.load(), rateLimits: { signIn: { limit: 100_000, windowMs: 60_000 }, decisions: { limit: 100_000, windowMs: 60_000 } } };
  // The portal as a Slack-less install serves it (local sign-in on loopback)...
  const webPort = await freePort();
  webUrl = `http://127.0.0.1:${webPort}`;
  const web = createWebApp({ ...common, publicUrl: webUrl, approvalLinks: new ApprovalLinks(secret, webUrl), slackConfigured: false });
  servers.push(await new Promise<Server>((resolve) => { const s = web.listen(webPort, '127.0.0.1', () => resolve(s)); }));
  // ...and Bolt's receiver on another app over the same services and store.
  const slackApp = createWebApp({ ...common, publicUrl: 'https://changeguard.example', approvalLinks: new ApprovalLinks(secret, 'https://changeguard.example'), slackConfigured: true });
  createSlackAdapter(
    { botToken: 'xoxb-matrix', signingSecret: SIGNING_SECRET, appToken: undefined, apiUrl: fake.apiUrl },
    { deps, webLinks: new WebLinks('https://changeguard.example'), templates: SlackTemplates.load(), reports: PeriodReportRenderer.load(), approvalLinks: new ApprovalLinks(secret, 'https://changeguard.example'), logger },
    slackApp,
    logger,
  );
  const slackUrl = await listen(slackApp);
  slack = slackUserRequests(`${slackUrl}${SLACK_EVENTS_PATH}`, SIGNING_SECRET, (id) => fake.responseUrl(id));
  writeFileSync(join(dir, 'policy.yml'), ['users:', ...policy.users.map((u) => `  - { id: ${u.id}, slack: ${u.slack}, roles: [${u.roles.join(', ')}] }`), ''].join('\n'));
}, 60_000);

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await fake?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- fixtures: a fresh subject for every cell ------------------------------------------------

async function pending(): Promise<Change> {
  const start = Date.now() + 24 * HOUR;
  return registerChange(
    deps,
    { code: `CHG-M${++counter}`, title: `Matrix ${counter}`, group: 'web-ops', devices: ['web01'], script: SCRIPT, executors: ['erik'], windowStart: new Date(start), windowEnd: new Date(start + 2 * HOUR) },
    { userId: 'alice', terminal: 'test' },
  );
}

async function approved(): Promise<Change> {
  return (await approveChange(deps, (await pending()).code, { userId: 'bob', terminal: 'test' })).change;
}

async function inProgress(): Promise<{ change: Change; session: string }> {
  const change = buildOpenApprovedChange(new Date(), { code: `CHG-M${++counter}`, group: 'web-ops', devices: ['web01'], requester: 'alice', executors: ['erik'], script: SCRIPT });
  await store.changes.create(change);
  const session = `sess-m${counter}`;
  await store.sessions.create({ id: session, changeCode: change.code, user: 'alice', device: 'web01', kind: 'shell', justification: 'matrix', clientAddress: '127.0.0.1', startedAt: new Date(), state: 'active' });
  return { change: await startChange(deps, change.code, { userId: 'alice', terminal: 'proxy' }), session };
}

function askerOf(kind: ActorKind): Asker | null {
  if (kind === 'unmapped') return null;
  return { kind: 'user', user: policy.users.find((u) => u.id === ACTORS[kind].id)! };
}

/** What the table says, and the line a refusal shows. */
function expected(action: Action, kind: ActorKind, subject: AccessSubject): { allowed: boolean; message?: string } {
  const asker = askerOf(kind);
  if (!asker) return { allowed: false, message: UNMAPPED_USER_MESSAGE };
  const decision = decideAccess(action, asker, subject);
  return decision.allowed ? { allowed: true } : { allowed: false, message: decision.message };
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** As handlebars writes it into a page (quotes too). */
const htmlEscaped = (text: string) => escaped(text).replace(/'/g, '&#x27;').replace(/"/g, '&quot;');

// ---- the adapters -------------------------------------------------------------------------------

type Outcome = { allowed: boolean; text: string };

const slackIdOf = (kind: ActorKind) => (kind === 'unmapped' ? 'U09NOBODY' : ACTORS[kind].slack);

async function slackAnswer(send: (responseId: string) => Promise<Response>): Promise<string> {
  const id = `m-${++counter}`;
  const response = await send(id);
  expect(response.status).toBe(200);
  const [answer] = await waitFor(`the answer to ${id}`, () => fake.responsesTo(id).length > 0 && fake.responsesTo(id));
  return String(answer!.body.text ?? '');
}

async function viaSlackCommand(kind: ActorKind, text: string, success: RegExp): Promise<Outcome> {
  const answer = await slackAnswer((id) => slack.command(slackIdOf(kind), text, id));
  return { allowed: success.test(answer), text: answer };
}

async function viaSlackButton(kind: ActorKind, actionId: string, value: unknown, success: RegExp): Promise<Outcome> {
  const answer = await slackAnswer((id) => slack.click(slackIdOf(kind), actionId, JSON.stringify(value), id));
  return { allowed: success.test(answer), text: answer };
}

/** A modal's submission: accepted (cleared or closed) or refused with errors on its fields. */
async function viaSlackForm(kind: ActorKind, callbackId: string, values: Record<string, Record<string, unknown>>, metadata: string): Promise<Outcome> {
  const response = await slack.submit(slackIdOf(kind), callbackId, values, metadata);
  const text = await response.text();
  const body = text ? (JSON.parse(text) as { response_action?: string; errors?: Record<string, string> }) : {};
  return { allowed: body.response_action !== 'errors', text: Object.values(body.errors ?? {}).join(' | ') };
}

async function webAs(kind: ActorKind): Promise<WebClient | null> {
  if (kind === 'unmapped') return null;
  const id = ACTORS[kind].id;
  let client = clients.get(id);
  if (!client) {
    client = new WebClient(webUrl);
    await client.signInLocally(id);
    clients.set(id, client);
  }
  return client;
}

/** A page or a form post: shown or redirected is allowed; 403 (or a form's 400 naming the refusal) is refused. */
async function viaWeb(kind: ActorKind, request: (client: WebClient) => Promise<Response>, tokenFrom = '/'): Promise<Outcome> {
  const client = await webAs(kind);
  if (!client) return { allowed: false, text: UNMAPPED_USER_MESSAGE };
  await client.page(tokenFrom);
  const response = await request(client);
  const text = await response.text();
  if (response.status === 303 && response.headers.get('location')?.startsWith('/signin')) throw new Error(`${kind}'s web session was ended: ${text}`);
  return { allowed: response.status === 200 || response.status === 303, text };
}

async function viaCli(kind: ActorKind): Promise<Outcome> {
  const args = ['policy', 'import', join(dir, 'policy.yml'), ...(kind === 'unmapped' ? ['--as', 'nobody'] : ['--as', ACTORS[kind].id])];
  const result = await runCliProcess(args, { env: { DATA_DIR: join(dir, 'data'), MONGODB_URI: '' } });
  return { allowed: result.code === 0, text: result.stderr };
}

/** Runs one cell: the adapter's decision must be the table's, and a refusal must say the table's words. */
function check(where: string, outcome: Outcome, want: { allowed: boolean; message?: string }, options: { wordsShown?: boolean } = {}): void {
  expect(outcome.allowed, `${where}: ${outcome.text.slice(0, 300)}`).toBe(want.allowed);
  if (!want.allowed && want.message && options.wordsShown !== false) {
    const shown = outcome.text;
    const forms = [want.message, capital(want.message)].flatMap((m) => [m, escaped(m), htmlEscaped(m)]);
    expect(forms.some((form) => shown.includes(form)), `${where}: refusal "${want.message}" not shown in: ${shown.slice(0, 400)}`).toBe(true);
  }
}

function newChangeValues(code: string) {
  const start = new Date(Date.now() + 24 * HOUR);
  return {
    code: { value: { type: 'plain_text_input', value: code } },
    title: { value: { type: 'plain_text_input', value: 'Filed in the matrix' } },
    description: { value: { type: 'plain_text_input', value: '' } },
    windowStart: { value: { type: 'datetimepicker', selected_date_time: Math.floor(start.getTime() / 1000) } },
    windowEnd: { value: { type: 'datetimepicker', selected_date_time: Math.floor((start.getTime() + 2 * HOUR) / 1000) } },
    group: { new_change_group: { type: 'static_select', selected_option: { value: 'web-ops', text: { type: 'plain_text', text: 'web-ops' } } } },
    'devices:web-ops': { value: { type: 'multi_static_select', selected_options: [{ value: 'web01' }] } },
    script: { value: { type: 'plain_text_input', value: SCRIPT } },
  };
}

/** The web's new change form, filed in its two steps: the checked draft's fingerprint makes the second one file. */
async function fileOnWeb(client: WebClient, code: string): Promise<Response> {
  const start = new Date(Date.now() + 24 * HOUR);
  const draft = { code, title: 'Filed in the matrix', description: '', windowStart: dateToWallTime(start, 'UTC'), windowEnd: dateToWallTime(new Date(start.getTime() + 2 * HOUR), 'UTC'), group: 'web-ops', script: SCRIPT };
  return client.post('/changes/new', { ...draft, devices: 'web01', intent: 'file', checked: draftFingerprint({ ...draft, devices: ['web01'], executors: [] }) });
}

describe('one decision per action and actor, whichever adapter asks', () => {
  it('file a change: Slack form, web form', async () => {
    const group = policy.groups[0]!;
    for (const kind of KINDS) {
      const want = expected('change.file', kind, { group });
      check(`file via Slack as ${kind}`, await viaSlackForm(kind, 'new_change', newChangeValues(`CHG-F${++counter}`), JSON.stringify({ devicesBlock: 'devices:web-ops' })), want);
      const code = `CHG-F${++counter}`;
      check(`file via web as ${kind}`, await viaWeb(kind, (c) => fileOnWeb(c, code), '/changes/new'), want);
    }
  });

  it('view a change: /change show, the change page', async () => {
    const change = await pending();
    for (const kind of KINDS) {
      const want = expected('change.view', kind, { change, group: policy.groups[0] });
      check(`view via Slack as ${kind}`, await viaSlackCommand(kind, `show ${change.code}`, new RegExp(`^${change.code}: `)), want);
      check(`view via web as ${kind}`, await viaWeb(kind, (c) => c.get(`/changes/${change.code}`)), want, { wordsShown: true });
    }
  });

  it('approve: the Approve button, the change page', async () => {
    for (const kind of KINDS) {
      for (const via of ['slack', 'web'] as const) {
        const change = await pending();
        const want = expected('change.approve', kind, { change, group: policy.groups[0] });
        const outcome =
          via === 'slack'
            ? await viaSlackButton(kind, 'change_approve', { code: change.code, scriptHash: change.scriptHash }, /^You approved/)
            : await viaWeb(kind, (c) => c.post(`/changes/${change.code}/approve`, { seenScriptHash: change.scriptHash }), `/changes/${change.code}`);
        // A stranger is refused on the web before the service: the page is not theirs to see.
        check(`approve via ${via} as ${kind}`, outcome, want, { wordsShown: via === 'slack' });
      }
    }
  });

  it('reject: the rejection form, the change page', async () => {
    for (const kind of KINDS) {
      for (const via of ['slack', 'web'] as const) {
        const change = await pending();
        const want = expected('change.reject', kind, { change, group: policy.groups[0] });
        const outcome =
          via === 'slack'
            ? await viaSlackForm(kind, 'reject_change', { reason: { value: { type: 'plain_text_input', value: 'not now' } } }, JSON.stringify({ code: change.code }))
            : await viaWeb(kind, (c) => c.post(`/changes/${change.code}/reject`, { reason: 'not now' }), `/changes/${change.code}`);
        check(`reject via ${via} as ${kind}`, outcome, want, { wordsShown: via === 'slack' });
      }
    }
  });

  it('revoke: /change revoke, the change page', async () => {
    for (const kind of KINDS) {
      for (const via of ['slack', 'web'] as const) {
        const change = await approved();
        const want = expected('change.revoke', kind, { change, group: policy.groups[0] });
        const outcome =
          via === 'slack'
            ? await viaSlackCommand(kind, `revoke ${change.code} freeze`, /is revoked/)
            : await viaWeb(kind, (c) => c.post(`/changes/${change.code}/revoke`, { reason: 'freeze' }), `/changes/${change.code}`);
        check(`revoke via ${via} as ${kind}`, outcome, want, { wordsShown: via === 'slack' });
      }
    }
  });

  it('cancel: /change cancel, the change page', async () => {
    for (const kind of KINDS) {
      for (const via of ['slack', 'web'] as const) {
        const change = await pending();
        const want = expected('change.cancel', kind, { change, group: policy.groups[0] });
        const outcome =
          via === 'slack'
            ? await viaSlackCommand(kind, `cancel ${change.code} no longer needed`, /is cancelled/)
            : await viaWeb(kind, (c) => c.post(`/changes/${change.code}/cancel`, { reason: 'no longer needed' }), `/changes/${change.code}`);
        check(`cancel via ${via} as ${kind}`, outcome, want, { wordsShown: via === 'slack' });
      }
    }
  });

  it('reschedule and finish early: the web (the only adapter offering them)', async () => {
    for (const kind of KINDS) {
      const change = await pending();
      const start = new Date(Date.now() + 48 * HOUR);
      const reschedule = await viaWeb(
        kind,
        (c) => c.post(`/changes/${change.code}/reschedule`, { windowStart: dateToWallTime(start, 'UTC'), windowEnd: dateToWallTime(new Date(start.getTime() + HOUR), 'UTC'), reason: 'later' }),
        `/changes/${change.code}`,
      );
      check(`reschedule via web as ${kind}`, reschedule, expected('change.reschedule', kind, { change, group: policy.groups[0] }), { wordsShown: false });
      const { change: running } = await inProgress();
      check(`finish via web as ${kind}`, await viaWeb(kind, (c) => c.post(`/changes/${running.code}/finish`, {}), `/changes/${running.code}`), expected('change.close', kind, { change: running, group: policy.groups[0] }), { wordsShown: false });
    }
  });

  it('terminate a session: the alert\'s button, the session page', async () => {
    for (const kind of KINDS) {
      for (const via of ['slack', 'web'] as const) {
        const { session } = await inProgress();
        const want = expected('session.terminate', kind, {});
        const outcome =
          via === 'slack'
            ? await viaSlackButton(kind, 'session_terminate', { sessionId: session }, /is terminated/)
            : await viaWeb(kind, (c) => c.post(`/sessions/${session}/terminate`, { reason: 'suspicious' }), `/sessions/${session}`);
        check(`terminate via ${via} as ${kind}`, outcome, want, { wordsShown: via === 'slack' });
      }
    }
  });

  it('lock and unlock a user: the alerts\' buttons, the locks page', async () => {
    for (const kind of KINDS) {
      for (const via of ['slack', 'web'] as const) {
        await store.accounts.unlock('mia');
        const lock =
          via === 'slack'
            ? await viaSlackButton(kind, 'user_lock', { user: 'mia' }, /is locked out/)
            : await viaWeb(kind, (c) => c.post('/locks', { user: 'mia', reason: 'suspicious' }), '/');
        check(`lock via ${via} as ${kind}`, lock, expected('user.lock', kind, { account: 'mia' }), { wordsShown: via === 'slack' });
        await store.accounts.unlock('mia');
        await store.accounts.lock({ user: 'mia', at: new Date(), reason: 'matrix', by: 'system' });
        const unlock =
          via === 'slack'
            ? await viaSlackButton(kind, 'user_unlock', { user: 'mia' }, /may use the proxy again/)
            : await viaWeb(kind, (c) => c.post('/locks/mia/unlock', {}), '/');
        check(`unlock via ${via} as ${kind}`, unlock, expected('user.unlock', kind, { account: 'mia' }), { wordsShown: via === 'slack' });
      }
    }
    await store.accounts.unlock('mia');
    // A lock ends the user's web sessions: sign in again from here on.
    clients.delete('mia');
  });

  it('read period reports: /change report, the reports page', async () => {
    for (const kind of KINDS) {
      const want = expected('report.view', kind, {});
      check(`report via Slack as ${kind}`, await viaSlackCommand(kind, 'report --since 1d', /^Report: /), want);
      check(`report via web as ${kind}`, await viaWeb(kind, (c) => c.get('/reports')), want, { wordsShown: false });
    }
  });

  it('read the trail, the policy and the outbox: the web pages', async () => {
    for (const kind of KINDS) {
      check(`audit trail as ${kind}`, await viaWeb(kind, (c) => c.get('/audit')), expected('audit.view', kind, {}));
      check(`policy as ${kind}`, await viaWeb(kind, (c) => c.get('/policy')), expected('policy.view', kind, {}));
      check(`outbox as ${kind}`, await viaWeb(kind, (c) => c.get('/outbox')), expected('outbox.view', kind, {}));
    }
  });

  it('watch a live session: the session page\'s stream (the web only)', async () => {
    for (const kind of KINDS) {
      const { session } = await inProgress();
      // This portal has no recordings: a watcher the table lets through is told so (503), never 403.
      const outcome = await viaWeb(kind, (c) => c.get(`/sessions/${session}/live`));
      const watched = { ...outcome, allowed: outcome.allowed || outcome.text.includes('session recordings are not available on this server') };
      check(`watch via web as ${kind}`, watched, expected('session.watch', kind, {}));
    }
  });

  it('search other people\'s commands: /change search user:…, the commands page', async () => {
    for (const kind of KINDS) {
      // Everyone searches their own sessions; `deploy` is nobody's own.
      const want = expected('commands.searchAll', kind, {});
      check(`search via Slack as ${kind}`, await viaSlackCommand(kind, 'search nginx user:deploy', /^(No command matches\.|\d+\+? commands found)$/), want);
      check(`search via web as ${kind}`, await viaWeb(kind, (c) => c.get('/commands?q=nginx&user=deploy')), want);
    }
  });

  it('backtest a draft policy: the backtest page', async () => {
    const draft = 'rules:\n  - { id: no-reboot, command: [reboot], action: block }\n';
    const day = new Date().toISOString().slice(0, 10);
    for (const kind of KINDS) {
      const want = expected('policy.backtest', kind, {});
      check(`backtest page as ${kind}`, await viaWeb(kind, (c) => c.get('/policy/backtest')), want);
      check(`backtest via web as ${kind}`, await viaWeb(kind, (c) => c.post('/policy/backtest', { policy: draft, name: 'draft.yml', from: day, to: day }), '/policy/backtest'), want);
    }
  });

  it('register an SSH key: /change key add (one\'s own account only)', async () => {
    for (const kind of KINDS) {
      const key = generateEd25519KeyPair(`matrix-${kind}`).public;
      const want = kind === 'unmapped' ? expected('key.manage', kind, {}) : expected('key.manage', kind, { account: ACTORS[kind].id });
      check(`key add via Slack as ${kind}`, await viaSlackCommand(kind, `key add ${key}`, /registered/), want);
    }
  });

  it('import the policy: the CLI, as each user (--as)', { timeout: 120_000 }, async () => {
    const outcomes = await Promise.all(KINDS.map(async (kind) => [kind, await viaCli(kind)] as const));
    for (const [kind, outcome] of outcomes) {
      const want = kind === 'unmapped' ? { allowed: false, message: 'nobody is not a user of the policy' } : expected('policy.import', kind, {});
      check(`policy import via the CLI as ${kind}`, outcome, want);
    }
    // Without --as, the operator holding the store imports (as changeguard did at every start).
    expect((await runCliProcess(['policy', 'import', join(dir, 'policy.yml')], { env: { DATA_DIR: join(dir, 'data'), MONGODB_URI: '' } })).code).toBe(0);
  });
});

describe('the table says what docs/DESIGN.md promises', () => {
  const user = (kind: keyof typeof ACTORS) => askerOf(kind)!;
  const change = { ...buildOpenApprovedChange(new Date(), { requester: 'alice', executors: ['erik'], group: 'web-ops' }), status: 'pending_approval' as const };
  const group = policy.groups[0]!;
  it.each([
    ['session.open', 'requester', true],
    ['session.open', 'executor', true],
    ['session.open', 'member', false],
    ['change.approve', 'approver', true],
    ['change.approve', 'requester', false],
    ['change.approve', 'executor', false],
    ['change.approve', 'otherApprover', false],
    ['change.view', 'auditor', true],
    ['change.view', 'stranger', false],
    ['change.cancel', 'executor', false],
    ['session.terminate', 'security', true],
    ['session.terminate', 'admin', false],
    ['session.watch', 'auditor', true],
    ['session.watch', 'security', true],
    ['session.watch', 'admin', true],
    ['session.watch', 'requester', false],
    ['session.watch', 'approver', false],
    ['policy.import', 'admin', true],
    ['policy.import', 'auditor', false],
    ['policy.backtest', 'auditor', true],
    ['policy.backtest', 'security', true],
    ['policy.backtest', 'approver', false],
    ['commands.searchAll', 'admin', true],
    ['commands.searchAll', 'requester', false],
  ] as const)('%s by the %s: %s', (action, kind, allowed) => {
    expect(decideAccess(action, user(kind), { change, group }).allowed).toBe(allowed);
  });
  it('lets changeguard itself close windows and lock users, and nothing a person must do', () => {
    expect(decideAccess('change.close', { kind: 'system' }, { change }).allowed).toBe(true);
    expect(decideAccess('user.lock', { kind: 'system' }, {}).allowed).toBe(true);
    expect(decideAccess('change.approve', { kind: 'system' }, { change, group }).allowed).toBe(false);
  });
  it('lets the operator holding the store (the CLI) backtest a draft', () => {
    expect(decideAccess('policy.backtest', { kind: 'operator', name: 'root' }, {}).allowed).toBe(true);
  });
  it('writes the system actor as changeguard', () => {
    expect(systemActor('proxy')).toEqual({ userId: 'system', terminal: 'proxy', kind: 'system' });
  });
});
