import { afterEach, describe, expect, it } from 'vitest';
import { parseAsciicast, readAll } from '../support/asciicast.js';
import { startProxyHarness, stripAnsi, TestTerminal, execThroughProxy, type ProxyHarness } from '../support/proxyHarness.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The device drops mid-session: the sshd processes serving the session (and the shell under
 * them) are killed with SIGKILL, as a crash or a power cut would, while the listener stays up.
 */

let h: ProxyHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function sessionIdShown(term: TestTerminal): string {
  const id = /changeguard: session ([0-9a-f-]{36}) on/.exec(term.text())?.[1];
  if (!id) throw new Error(`no session id shown:\n${term.text()}`);
  return id;
}

describe('when the target server drops mid-session', () => {
  it('tells the user, ends the session abnormally, closes the recording and raises the session end', async () => {
    h = await startProxyHarness();
    const harness = h;
    const change = await harness.approvedChange();
    const term = await TestTerminal.open(harness.proxy.port, `alice+${change.code}+web01`, harness.aliceKey);
    await term.justify();
    const sessionId = sessionIdShown(term);
    term.type('echo before-$((40+2))\r');
    await term.waitForText('before-42');
    await term.waitForPrompt(2);

    expect(harness.target.dropConnections()).toBeGreaterThan(0);

    await term.waitForText('changeguard: the connection to web01 was lost');
    await term.waitForClose();
    expect(term.exitCode).toBe(1);

    const session = await waitFor('the session to be ended', async () => {
      const stored = await harness.store.sessions.findById(sessionId);
      return stored && stored.state !== 'active' ? stored : undefined;
    });
    expect(session).toMatchObject({ state: 'ended_abnormally', endReason: 'the connection to web01 was lost' });
    expect(session.endedAt).toBeInstanceOf(Date);
    expect(session.endedAt!.getTime()).toBeGreaterThanOrEqual(session.startedAt.getTime());
    expect(harness.proxy.liveSessionIds).not.toContain(sessionId);

    const ended = await waitFor('the Remote Session end notification', async () =>
      (await harness.notifications()).find((n) => n.type === 'session.terminated' && n.data.session?.id === sessionId),
    );
    expect(ended.data).toMatchObject({ reason: 'the connection to web01 was lost', details: { state: 'ended_abnormally' } });

    // Closed: the notice written when the session ended is the recording's last output.
    const stream = await harness.recordings.open(sessionId);
    expect(stream).not.toBeNull();
    const recording = parseAsciicast(await readAll(stream!));
    expect(recording.truncatedTail).toBeUndefined();
    expect(recording.output).toContain('before-42');
    expect(stripAnsi(recording.events.filter((e) => e.kind === 'o').at(-1)!.data)).toContain('the connection to web01 was lost');

    const trail = await harness.deps.audit.verify();
    expect(trail.ok).toBe(true);
    const closes = (await harness.store.audit.list({ change: change.code, eventType: 'CLOSE' })).records.filter((r) => r.object === sessionId);
    expect(closes).toMatchObject([{ status: 'F', reason: 'the connection to web01 was lost' }]);
  });

  it('ends an exec session whose device drops mid-command, with the reason on stderr', async () => {
    h = await startProxyHarness();
    const harness = h;
    const change = await harness.approvedChange();
    const running = execThroughProxy(harness.proxy.port, `alice+${change.code}+web01`, harness.aliceKey, 'echo started; sleep 30');
    const session = await waitFor('the exec session to start', async () => (await harness.store.sessions.listByChange(change.code))[0]);
    await waitFor('the command to run on the device', async () => {
      const stream = await harness.recordings.open(session.id);
      return stream && (await readAll(stream)).includes('started');
    });
    expect(harness.target.dropConnections()).toBeGreaterThan(0);
    const result = await running;
    expect(result.stdout).toContain('started');
    expect(result.stderr).toContain('changeguard: the connection to web01 was lost');
    expect(result.code).toBe(255);
    const ended = await waitFor('the session to be ended', async () => {
      const stored = await harness.store.sessions.findById(session.id);
      return stored && stored.state !== 'active' ? stored : undefined;
    });
    expect(ended).toMatchObject({ state: 'ended_abnormally', endReason: 'the connection to web01 was lost' });
    expect((await harness.deps.audit.verify()).ok).toBe(true);
  });

  it('is not confused with a command that ends by itself, however quickly', async () => {
    h = await startProxyHarness();
    const harness = h;
    const change = await harness.approvedChange();
    // A quick command's exit status can arrive with the channel's confirmation: it must still
    // be seen, or the session would be taken for a dropped connection.
    for (let i = 0; i < 5; i++) {
      const result = await execThroughProxy(harness.proxy.port, `alice+${change.code}+web01`, harness.aliceKey, 'exit 3');
      expect(result).toEqual({ stdout: '', stderr: '', code: 3 });
    }
    const sessions = await waitFor('the sessions to be ended', async () => {
      const all = await harness.store.sessions.listByChange(change.code);
      return all.length === 5 && all.every((s) => s.state !== 'active') ? all : undefined;
    });
    expect(sessions.map((s) => `${s.state}: ${s.endReason}`)).toEqual(sessions.map(() => 'ended: the command finished'));
  });
});
