import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execThroughProxy, startProxyHarness, TestTerminal, type ProxyHarness } from '../../support/proxyHarness.js';

/**
 * The executor's marker nonce never shows in /proc on the device: it is handed over on the
 * executor's input after it starts (src/proxy/executor/nonceHandover.ts), not put on its
 * command line (world-readable in /proc/<pid>/cmdline) or in its environment. Checked through
 * the real proxy on a real sshd, by a command on the target that searches every process's
 * command line and environment for it, next to a control search that does find the
 * executor's command line (so the search did see the executor's process).
 *
 * The patterns are files (`grep -f`): a pattern on grep's own command line would find itself.
 */

let h: ProxyHarness;
let work: string;

beforeAll(async () => {
  h = await startProxyHarness();
  work = h.target.workDir;
});
afterAll(async () => h?.stop());

/** The nonce of the change's live session (the relay's own, private: what a forger would need). */
async function liveNonce(changeCode: string): Promise<string> {
  const relays = (h.proxy as unknown as { context: { sessions: Map<string, { nonce?: unknown }> } }).context.sessions;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [session] = await h.store.sessions.listByChange(changeCode);
    const nonce = session === undefined ? undefined : relays.get(session.id)?.nonce;
    if (typeof nonce === 'string') return nonce;
    if (Date.now() > deadline) throw new Error(`no live session with a nonce for ${changeCode}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Writes the search patterns the target user's command reads: the nonce, and a text of the executor's own script. */
function writePatterns(name: string, nonce: string): { nonce: string; control: string } {
  expect(nonce).toMatch(/^[0-9a-f]{16,64}$/);
  const files = { nonce: join(work, `${name}.nonce`), control: join(work, `${name}.control`) };
  writeFileSync(files.control, "trap '' TSTP\n");
  // Written last: the exec command waits for it.
  writeFileSync(files.nonce, `${nonce}\n`);
  return files;
}

/**
 * The search, as typed on the target: every file holding the nonce, one per line, then the
 * count of command lines holding the control text. (Other users' environments are not
 * readable: grep skips them silently, as a forger would have to.)
 */
function search(patterns: { nonce: string; control: string }): string {
  const proc = '/proc/[0-9]*/cmdline /proc/[0-9]*/environ';
  return `grep -lsaFf ${patterns.nonce} ${proc} | sed 's/^/nonce-found-in=/'; echo nonce-search-done; grep -lsaFf ${patterns.control} /proc/[0-9]*/cmdline | wc -l | sed 's/^/control-matches=/'`;
}

function expectNonceNotFound(output: string): void {
  // (An interactive terminal also shows the typed line, so only whole output lines count.)
  expect(output).toMatch(/^nonce-search-done\r?$/m);
  expect(output).not.toMatch(/nonce-found-in=\/proc/);
  // grep found the executor's command line (the control): the search did look at its process.
  expect(Number(/control-matches=(\d+)/.exec(output)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
}

describe('the executor nonce on the device', () => {
  it('is in no process\'s command line or environment during an interactive session', async () => {
    const change = await h.approvedChange();
    const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
    try {
      await term.justify('checking what /proc shows');
      const patterns = writePatterns('interactive', await liveNonce(change.code));
      const before = term.prompts();
      term.type(`${search(patterns)}\r`);
      await term.waitForPrompt(before + 1);
      expectNonceNotFound(term.text());
    } finally {
      term.close();
    }
  });

  it('is in no process\'s command line or environment while an exec command runs', async () => {
    const change = await h.approvedChange();
    const name = 'exec';
    const nonceFile = join(work, `${name}.nonce`);
    expect(existsSync(nonceFile)).toBe(false);
    // The command waits for the patterns, which the test writes once it knows the session's nonce.
    const command = `while [ ! -s ${nonceFile} ]; do sleep 0.05; done; ${search({ nonce: nonceFile, control: join(work, `${name}.control`) })}`;
    const running = execThroughProxy(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey, command);
    writePatterns(name, await liveNonce(change.code));
    const result = await running;
    expect(result.code).toBe(0);
    expectNonceNotFound(result.stdout);
    // The exec session's protocol worked: no marker, no request leaked to the user.
    expect(result.stdout).not.toContain('\x1b]6973');
  });
});
