import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildRule } from '../../support/factories.js';
import { startProxyHarness, stripAnsi, type ProxyHarness } from '../../support/proxyHarness.js';

/** The real OpenSSH client, in a PTY made by script(1), through the proxy to a real sshd. */

let h: ProxyHarness;
beforeAll(async () => {
  h = await startProxyHarness({ rules: [buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' })] });
});
afterAll(async () => h?.stop());

it('works with ssh in a terminal: justification, an allowed command, a blocked one, logout', async () => {
  const change = await h.approvedChange();
  const keyFile = join(h.dir, 'alice_key');
  writeFileSync(keyFile, h.aliceKey, { mode: 0o600 });
  const ssh = [
    'ssh -tt',
    `-p ${h.proxy.port}`,
    `-i ${keyFile}`,
    '-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR',
    `alice+${change.code}+web01@127.0.0.1`,
  ].join(' ');
  const child = spawn('script', ['-qefc', ssh, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (predicate: () => boolean, what: string) => {
    const deadline = Date.now() + 15_000;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${stripAnsi(output).slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  // changeguard's prompt, each at the start of a line: alice@web01:/dir$
  const prompts = () => (stripAnsi(output).match(/(?:^|\n)alice@web01:[^\n]*?[$#] /g) ?? []).length;
  try {
    await waitFor(() => output.includes('Justification for'), 'the justification question');
    child.stdin.write('checked with the real client\r');
    await waitFor(() => prompts() >= 1, 'the first prompt');
    const ok = join(h.target.workDir, 'openssh-ok');
    const victim = join(h.target.workDir, 'openssh-victim');
    writeFileSync(victim, 'keep me');
    child.stdin.write(`touch ${ok}\r`);
    await waitFor(() => prompts() >= 2, 'the second prompt');
    child.stdin.write(`rm -r ${victim}\r`);
    await waitFor(() => stripAnsi(output).includes('is not permitted (rule no-recursive-rm)'), 'the refusal');
    await waitFor(() => prompts() >= 3, 'the third prompt');
    child.stdin.write('exit\r');
    // The refused line never reached the device: $? is still touch's, which a bare exit returns.
    expect(await exited).toBe(0);
    expect(existsSync(ok)).toBe(true);
    expect(existsSync(victim)).toBe(true);
  } finally {
    child.kill();
  }
  const [session] = await h.store.sessions.listByChange(change.code);
  expect(session).toMatchObject({ justification: 'checked with the real client' });
  const lines = (await h.store.commands.listBySession(session!.id)).map((c) => [c.line, c.verdict]);
  expect(lines.slice(0, 2)).toEqual([
    [`touch ${join(h.target.workDir, 'openssh-ok')}`, 'allow'],
    [`rm -r ${join(h.target.workDir, 'openssh-victim')}`, 'block'],
  ]);
});
