import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminateSession } from '../../../src/services/sessions/sessionControl.js';
import { buildRule } from '../../support/factories.js';
import { freePort } from '../../support/freePort.js';
import { startProxyHarness, TestTerminal, type ProxyHarness } from '../../support/proxyHarness.js';
import { waitFor } from '../../support/waitFor.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * PROXY_WORKERS=2 through the real product process: the harness provides the sshd device and
 * the SQLite store (policy, an approved change); the product runs on that store with two proxy
 * worker processes sharing its PROXY_PORT. Sessions landing on different workers must each be
 * judged, recorded, and cut by a Terminate issued from another process (here, the test's).
 */
describe('several proxy worker processes (PROXY_WORKERS)', () => {
  let h: ProxyHarness;
  let product: ChildProcess;
  let output = '';
  let proxyPort: number;

  beforeAll(async () => {
    h = await startProxyHarness({ rules: [buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' })] });
    proxyPort = await freePort();
    product = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, DATA_DIR: h.dir, PORT: String(await freePort()), PROXY_PORT: String(proxyPort), PROXY_WORKERS: '2', LOG_LEVEL: 'info', MONGODB_URI: '', POLICY_FILE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    product.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    product.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the product to start', () => output.includes('changeguard started') || product.exitCode !== null, { timeoutMs: 60_000 }).catch((error: Error) => {
      throw new Error(`${error.message}: ${output}`);
    });
    if (product.exitCode !== null) throw new Error(`the product exited: ${output}`);
  }, 90_000);

  afterAll(async () => {
    if (product && product.exitCode === null) {
      const exited = new Promise((resolve) => product.once('exit', resolve));
      product.kill('SIGTERM');
      await exited;
    }
    await h?.stop();
  });

  it('judges, records and terminates sessions on each worker', async () => {
    expect(output).toContain('ssh proxy workers listening');
    const change = await h.approvedChange({ devices: ['web01'] });
    const login = `alice+${change.code}+web01`;
    // The primary hands connections out in turn: open sessions until two workers hold one.
    const terms: TestTerminal[] = [];
    const byOwner = new Map<string, { term: TestTerminal; sessionId: string }>();
    for (let i = 0; i < 8 && byOwner.size < 2; i++) {
      const term = await TestTerminal.open(proxyPort, login, h.aliceKey);
      terms.push(term);
      await term.justify(`session ${i}`);
      const sessions = await h.store.sessions.listByChange(change.code);
      const session = sessions.find((s) => s.justification === `session ${i}`) ?? sessions.at(-1)!;
      if (!byOwner.has(session.owner!)) byOwner.set(session.owner!, { term, sessionId: session.id });
    }
    expect([...byOwner.keys()].sort()).toEqual([expect.stringMatching(/:\d+#0$/), expect.stringMatching(/:\d+#1$/)]);

    for (const [owner, { term, sessionId }] of byOwner) {
      const marker = `ran-on-${owner.slice(-1)}`;
      term.type(`echo ${marker}\r`);
      await term.waitForText(`${marker}\r\n`);
      term.type(`rm -rf ${join(h.target.workDir, marker)}\r`);
      await term.waitForText('is not permitted (rule no-recursive-rm)');
      await waitFor(`the commands of the session on worker ${owner}`, async () => (await h.store.commands.listBySession(sessionId)).length >= 2);
      const commands = await h.store.commands.listBySession(sessionId);
      expect(commands.map((c) => [c.line, c.verdict])).toEqual([
        [`echo ${marker}`, 'allow'],
        [`rm -rf ${join(h.target.workDir, marker)}`, 'block'],
      ]);
    }

    // Terminate, as the web page or the security channel's button does: from another process.
    for (const { sessionId } of byOwner.values()) await terminateSession(h.deps, sessionId, { userId: 'sam', terminal: 'web' }, 'cut from elsewhere');
    for (const { term, sessionId } of byOwner.values()) {
      await term.waitForClose();
      expect(term.text()).toContain('session terminated: cut from elsewhere');
      expect(await h.store.sessions.findById(sessionId)).toMatchObject({ state: 'terminated' });
      // The worker's recording holds what the session showed.
      const session = await h.store.sessions.findById(sessionId);
      expect(session?.recording).toBeTruthy();
      await waitFor('the recording to be written', async () => {
        const stream = await h.recordings.open(sessionId);
        if (!stream) return false;
        let text = '';
        for await (const chunk of stream) text += String(chunk);
        return text.includes('ran-on-');
      });
    }
    for (const term of terms) term.close();
    expect(existsSync(join(h.dir, 'proxy_host_ed25519'))).toBe(true);
  }, 120_000);
});
