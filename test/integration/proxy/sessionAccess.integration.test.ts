import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeChange } from '../../../src/services/changes/reviewChange.js';
import { lockUser, terminateSession, unlockUser } from '../../../src/services/sessions/sessionControl.js';
import { buildRule } from '../../support/factories.js';
import { connectClient, execThroughProxy, startProxyHarness, TestTerminal, type ProxyHarness } from '../../support/proxyHarness.js';
import { generateEd25519KeyPair } from '../../../src/proxy/hostKey.js';

/** Who gets in, to what, for how long; exec; forwarding; the cuts that end live sessions. */

let h: ProxyHarness;
let work: string;
const security = { userId: 'sam', terminal: 'slack' };

beforeAll(async () => {
  h = await startProxyHarness({
    rules: [
      buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' }),
      buildRule({ id: 'no-forbidden-tool', command: ['forbidden-tool'], action: 'block', risk: 'medium', lockAfter: 2 }),
      // On web02 the policy is an allow-list.
      buildRule({ id: 'web02-allow-list', command: ['ls', 'touch', 'echo'], action: 'force', scope: { devices: ['web02'] } }),
    ],
  });
  work = h.target.workDir;
});
afterAll(async () => h?.stop());

const file = (name: string) => join(work, name);

async function refusalOf(login: string): Promise<string> {
  const term = await TestTerminal.open(h.proxy.port, login, h.aliceKey);
  await term.waitForClose();
  return term.text().trim();
}

async function loginError(username: string, privateKey: string): Promise<string> {
  const error = await connectClient(h.proxy.port, username, privateKey).then(
    (client) => {
      client.end();
      return null;
    },
    (e: Error) => e,
  );
  return error?.message ?? 'logged in';
}

describe('logging in', () => {
  it('refuses unknown keys, unknown or malformed names and locked users', async () => {
    const change = await h.approvedChange();
    const stranger = generateEd25519KeyPair().private;
    expect(await loginError(`alice+${change.code}+web01`, stranger)).toMatch(/authentication methods failed/);
    expect(await loginError(`nobody+${change.code}+web01`, h.aliceKey)).toMatch(/authentication methods failed/);
    expect(await loginError('alice+not a code+web01', h.aliceKey)).toMatch(/authentication methods failed/);
    expect(await loginError(`mallory+${change.code}+web01`, h.aliceKey)).toMatch(/authentication methods failed/);

    await lockUser(h.deps, 'alice', security, 'investigation');
    try {
      expect(await loginError(`alice+${change.code}+web01`, h.aliceKey)).toMatch(/authentication methods failed/);
    } finally {
      await unlockUser(h.deps, 'alice', security);
    }
    expect(await loginError(`alice+${change.code}+web01`, h.aliceKey)).toBe('logged in');
    const refused = (await h.store.audit.list({ eventType: 'LOGIN', status: 'D' })).records.map((r) => r.reason);
    expect(refused).toEqual(expect.arrayContaining(['no user nobody', 'alice is locked: investigation']));
  });

  it('refuses, in one line, a change that is not open or does not cover the server', async () => {
    const now = h.clock.now().getTime();
    const future = await h.approvedChange({ windowStart: new Date(now + 3600_000), windowEnd: new Date(now + 7200_000) });
    expect(await refusalOf(`alice+${future.code}+web01`)).toBe(`changeguard: ${future.code}'s window opens at ${future.windowStart.toISOString()}`);
    const pending = await h.approvedChange({ status: 'pending_approval', approvals: [] });
    expect(await refusalOf(`alice+${pending.code}+web01`)).toBe(`changeguard: ${pending.code} is not approved yet`);
    const open = await h.approvedChange();
    expect(await refusalOf(`alice+${open.code}+web02`)).toBe(`changeguard: ${open.code} does not cover web02 (it covers web01, web03)`);
    expect(await refusalOf('alice+CHG-0+web01')).toBe('changeguard: no change CHG-0');
    const revoked = await h.approvedChange({ status: 'revoked', revocation: { by: 'bob', at: new Date(now), reason: 'freeze' } });
    expect(await refusalOf(`alice+${revoked.code}+web01`)).toBe(`changeguard: ${revoked.code} was revoked by bob: freeze`);
    const refusals = (await h.store.audit.list({ eventType: 'OPEN', status: 'D' })).records.map((r) => r.change);
    expect(refusals).toEqual(expect.arrayContaining([future.code, pending.code, open.code, revoked.code]));
  });

  it('offers a menu of what is open to a plain login name', async () => {
    const first = await h.approvedChange({ title: 'First change' });
    const term = await TestTerminal.open(h.proxy.port, 'alice', h.aliceKey);
    await term.waitForText('Choose 1-');
    const menu = term.text();
    expect(menu).toContain(`${first.code}  web01  First change`);
    expect(menu).toContain(`${first.code}  web03  First change`);
    const entry = menu.split('\n').find((line) => line.includes(`${first.code}  web01`));
    const number = entry?.match(/(\d+)\)/)?.[1];
    term.type(`${number}\r`);
    await term.justify('via the menu');
    const sessions = await h.store.sessions.listByChange(first.code);
    expect(sessions).toMatchObject([{ device: 'web01', justification: 'via the menu', state: 'active' }]);
    term.close();
  });

  it('refuses a server whose host key does not match the pinned one, and alerts', async () => {
    const change = await h.approvedChange();
    const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web03`, h.aliceKey);
    await term.waitForText('Justification for');
    term.type('check web03\r');
    await term.waitForClose();
    expect(term.text()).toContain('web03 presented a host key that does not match the pinned one: the session is refused');
    expect(await h.store.sessions.listByChange(change.code)).toEqual([]);
    const alert = h.notifier.sent.find((n) => n.type === 'session.host_key_mismatch' && n.data.change?.code === change.code);
    expect(alert?.audience).toEqual([{ role: 'security' }]);
    expect(alert?.data.details).toMatchObject({ device: 'web03' });
  });

  it('refuses local and remote port forwarding', async () => {
    const change = await h.approvedChange();
    const client = await connectClient(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
    try {
      const forward = await new Promise<Error | null>((resolve) => client.forwardOut('127.0.0.1', 0, '127.0.0.1', h.target.port, (error) => resolve(error ?? null)));
      expect(forward?.message).toMatch(/Channel open failure/);
      const remote = await new Promise<Error | null>((resolve) => client.forwardIn('127.0.0.1', 0, (error) => resolve(error ?? null)));
      expect(remote).toBeInstanceOf(Error);
    } finally {
      client.end();
    }
    const refused = (await h.store.audit.list({ eventType: 'FORWARD' })).records;
    expect(refused.map((r) => r.details)).toEqual(expect.arrayContaining(['port forwarding refused: it would bypass command rules']));
  });
});

describe('exec', () => {
  it('judges the command before it is sent and stores its exit status', async () => {
    const change = await h.approvedChange();
    const login = `alice+${change.code}+web01`;
    const allowed = await execThroughProxy(h.proxy.port, login, h.aliceKey, `touch ${file('exec-ok')} && echo done`);
    expect(allowed).toEqual({ stdout: 'done\n', stderr: '', code: 0 });
    expect(existsSync(file('exec-ok'))).toBe(true);

    writeFileSync(file('exec-victim'), 'keep me');
    const blocked = await execThroughProxy(h.proxy.port, login, h.aliceKey, `rm -rf ${file('exec-victim')}`);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('is not permitted (rule no-recursive-rm)');
    expect(existsSync(file('exec-victim'))).toBe(true);

    const shell = await execThroughProxy(h.proxy.port, login, h.aliceKey, 'bash');
    expect(shell.code).toBe(1);
    expect(shell.stderr).toContain('would read commands from the connection');

    const failing = await execThroughProxy(h.proxy.port, login, h.aliceKey, 'exit 3');
    expect(failing.code).toBe(3);
    await expect
      .poll(async () => (await h.store.commands.listByChange(change.code)).map((c) => [c.source, c.line, c.verdict, c.exitStatus]))
      .toEqual([
        ['exec', `touch ${file('exec-ok')} && echo done`, 'allow', 0],
        ['exec', `rm -rf ${file('exec-victim')}`, 'block', undefined],
        ['exec', 'bash', 'block', undefined],
        ['exec', 'exit 3', 'allow', 3],
      ]);
  });

  it('needs the change and the server in the login name', async () => {
    const result = await execThroughProxy(h.proxy.port, 'alice', h.aliceKey, 'uptime');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('name the change and the server');
  });
});

describe('force (allow-list) rules', () => {
  it('lets only forced commands run where a force rule applies', async () => {
    const change = await h.approvedChange({ devices: ['web02'] });
    const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web02`, h.aliceKey);
    await term.justify();
    term.type(`touch ${file('forced')}\r`);
    await term.waitForPrompt(2);
    term.type(`mkdir ${file('not-forced')}\r`);
    await term.waitForText('is not in the list of commands allowed for this session');
    await term.waitForPrompt(3);
    expect(existsSync(file('forced'))).toBe(true);
    expect(existsSync(file('not-forced'))).toBe(false);
    term.close();
  });
});

describe('cutting live sessions', () => {
  async function liveSession(changeOverrides = {}) {
    const change = await h.approvedChange(changeOverrides);
    const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
    await term.justify();
    const [session] = await h.store.sessions.listByChange(change.code);
    return { change, term, session: session! };
  }

  it('cuts the sessions of a change revoked mid-session, telling the user why', async () => {
    const { change, term, session } = await liveSession();
    expect(await h.store.changes.findByCode(change.code)).toMatchObject({ status: 'in_progress' });
    await revokeChange(h.deps, change.code, { userId: 'bob', terminal: 'slack' }, 'incident in progress');
    await term.waitForClose();
    expect(term.text()).toContain(`${change.code} was revoked by bob: incident in progress`);
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('terminated');
  });

  it('cuts a session terminated from elsewhere (the security channel\'s button)', async () => {
    const { term, session } = await liveSession();
    await terminateSession(h.deps, session.id, security, 'suspicious activity');
    await term.waitForClose();
    expect(term.text()).toContain('session terminated: suspicious activity');
    expect(await h.store.sessions.findById(session.id)).toMatchObject({ state: 'terminated', endReason: 'suspicious activity' });
  });

  it('cuts sessions when the window ends', async () => {
    const { change, term, session } = await liveSession();
    h.clock.shift(2 * 3600_000);
    try {
      await term.waitForClose();
    } finally {
      h.clock.shift(-2 * 3600_000);
    }
    expect(term.text()).toContain(`${change.code}'s window ended at ${change.windowEnd.toISOString()}`);
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('terminated');
  });

  it('locks a user who keeps trying (lockAfter), cuts the session and refuses the next login', async () => {
    const { change, term, session } = await liveSession();
    term.type('forbidden-tool --once\r');
    await term.waitForPrompt(2);
    term.type('forbidden-tool --twice\r');
    await term.waitForClose();
    expect(term.text()).toContain('your account was locked: rule no-forbidden-tool matched 2 times (lock after 2)');
    expect(await h.store.accounts.findLock('alice')).toMatchObject({ by: 'system' });
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('terminated');
    const locked = (await h.notifications()).filter((n) => n.type === 'session.account_locked').at(-1);
    // The automatic lock names the user, and comes with what tipped it.
    expect(locked).toMatchObject({ audience: [{ role: 'security' }, { user: 'alice' }], data: { details: { user: 'alice' }, session: { user: 'alice' } } });
    try {
      expect(await loginError(`alice+${change.code}+web01`, h.aliceKey)).toMatch(/authentication methods failed/);
    } finally {
      await unlockUser(h.deps, 'alice', security);
    }
  });
});
