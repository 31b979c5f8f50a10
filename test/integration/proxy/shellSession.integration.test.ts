import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import headless from '@xterm/headless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/domain/session/session.js';
import { openSessionRecording } from '../../../src/services/sessions/openSessionRecording.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import { buildRule } from '../../support/factories.js';
import { startProxyHarness, stripAnsi, TestTerminal, type ProxyHarness } from '../../support/proxyHarness.js';

/**
 * Interactive sessions through the proxy to a real OpenSSH server, driven with ssh2's client
 * and a PTY. Every "did it run?" question is answered on the target's filesystem.
 */

let h: ProxyHarness;
let work: string;
const UP = '\x1b[A';

beforeAll(async () => {
  h = await startProxyHarness({
    rules: [
      buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', action: 'block', risk: 'high' }),
      buildRule({ id: 'no-selfdestruct', command: ['selfdestruct'], action: 'interrupt', attempts: 2, risk: 'high' }),
      buildRule({ id: 'no-danger', pattern: 'dangerous-target', action: 'block', risk: 'medium', message: 'dangerous-target is off limits' }),
    ],
  });
  work = h.target.workDir;
});
afterAll(async () => h?.stop());

async function openSession(justification = 'planned maintenance'): Promise<{ term: TestTerminal; session: Session }> {
  const change = await h.approvedChange();
  const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
  await term.justify(justification);
  const [session] = await h.store.sessions.listByChange(change.code);
  if (!session) throw new Error('no session stored');
  return { term, session };
}

/** Types a line and waits for the prompt after it. */
async function run(term: TestTerminal, line: string): Promise<void> {
  const before = term.prompts();
  term.type(`${line}\r`);
  await term.waitForPrompt(before + 1);
}

const file = (name: string) => join(work, name);

describe('an interactive session', () => {
  it('runs an allowed command, and blocks a blocked one before it reaches the shell', async () => {
    const { term, session } = await openSession();
    writeFileSync(file('victim'), 'keep me');
    await run(term, `touch ${file('allowed')}`);
    expect(existsSync(file('allowed'))).toBe(true);

    await run(term, `rm -rf ${file('victim')}`);
    expect(term.text()).toContain(`"rm -rf ${file('victim')}" is not permitted (rule no-recursive-rm)`);
    expect(readFileSync(file('victim'), 'utf8')).toBe('keep me');

    await run(term, 'false');
    term.type('exit\r');
    await term.waitForClose();
    const commands = await h.store.commands.listBySession(session.id);
    expect(commands.map((c) => [c.line, c.verdict, c.ruleIds])).toEqual([
      [`touch ${file('allowed')}`, 'allow', []],
      [`rm -rf ${file('victim')}`, 'block', ['no-recursive-rm']],
      ['false', 'allow', []],
      ['exit', 'allow', []],
    ]);
    expect(commands[0]?.exitStatus).toBe(0);
    expect(commands[2]?.exitStatus).toBe(1);
    expect(commands[1]?.exitStatus).toBeUndefined();
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('ended');
    const stored = await h.store.sessions.findById(session.id);
    expect(stored).toMatchObject({ justification: 'planned maintenance', kind: 'shell', user: 'alice', device: 'web01' });
    const sent = (await h.notifications()).filter((n) => n.data.session?.id === session.id);
    expect(sent.map((n) => n.type)).toEqual(expect.arrayContaining(['session.started', 'command.block', 'session.terminated']));
    // One post per command: the block shows its criticality, no second message.
    expect(sent.filter((n) => n.data.command?.line === sent.find((b) => b.type === 'command.block')?.data.command?.line)).toHaveLength(1);
    expect(sent.find((n) => n.type === 'command.block')?.audience).toEqual([{ role: 'security' }]);
  });

  it('interrupts the session on the rule\'s N-th attempt', async () => {
    const { term, session } = await openSession();
    await run(term, 'selfdestruct now');
    expect(term.text()).toContain('is not permitted (rule no-selfdestruct)');
    expect(term.closed).toBe(false);
    term.type('selfdestruct --really\r');
    await term.waitForClose();
    expect(term.text()).toContain('the session is closed');
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('interrupted');
    const verdicts = (await h.store.commands.listBySession(session.id)).map((c) => c.verdict);
    expect(verdicts).toEqual(['block', 'interrupt']);
    expect(h.notifier.types()).toContain('command.block_interrupt');
  });

  it('reads the line as edited: backspace, cursor moves, history recall and tab completion', async () => {
    const { term, session } = await openSession();
    // Backspace over "wrong" and retype.
    await run(term, `touch ${file('edited-wrong')}\x7f\x7f\x7f\x7f\x7fright`);
    expect(existsSync(file('edited-right'))).toBe(true);
    expect(existsSync(file('edited-wrong'))).toBe(false);

    // A harmless command, recalled with the up arrow and edited into a blocked one.
    writeFileSync(file('recalled'), 'keep me');
    await run(term, `ls ${file('recalled')}`);
    // Up, Ctrl-A (start of line), Ctrl-D twice (delete "ls"), then insert "rm -rf".
    await run(term, `${UP}\x01\x04\x04rm -rf`);
    expect(term.text()).toContain(`"rm -rf ${file('recalled')}" is not permitted`);
    expect(existsSync(file('recalled'))).toBe(true);

    // Tab completion: the completed name is what is judged.
    writeFileSync(file('dangerous-target'), 'keep me');
    await run(term, `cat ${file('danger')}\t`);
    expect(term.text()).toContain('dangerous-target is off limits');

    term.close();
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('ended');
    const lines = (await h.store.commands.listBySession(session.id)).map((c) => [c.line, c.verdict]);
    expect(lines).toEqual([
      [`touch ${file('edited-right')}`, 'allow'],
      [`ls ${file('recalled')}`, 'allow'],
      [`rm -rf ${file('recalled')}`, 'block'],
      [`cat ${file('dangerous-target')}`, 'block'],
    ]);
  });

  it('expands history itself, shows the expanded line, and judges that', async () => {
    const { term, session } = await openSession();
    writeFileSync(file('history-victim'), 'keep me');
    await run(term, `ls ${file('history-victim')}`);
    await run(term, 'rm -rf !$');
    // The expanded line is shown under the typed one, then refused.
    expect(term.text()).toMatch(new RegExp(`rm -rf !\\$\\r?\\nrm -rf ${file('history-victim')}\\r?\\n`));
    expect(term.text()).toContain(`"rm -rf ${file('history-victim')}" is not permitted`);
    expect(existsSync(file('history-victim'))).toBe(true);
    await run(term, `touch ${file('history-one')}`);
    await run(term, '^one^two');
    expect(existsSync(file('history-two'))).toBe(true);
    await run(term, '!nothing-like-this');
    expect(term.text()).toContain('!nothing-like-this: event not found');
    term.close();
    const lines = (await h.store.commands.listBySession(session.id)).map((c) => [c.line, c.verdict]);
    expect(lines).toEqual([
      [`ls ${file('history-victim')}`, 'allow'],
      [`rm -rf ${file('history-victim')}`, 'block'],
      [`touch ${file('history-one')}`, 'allow'],
      [`touch ${file('history-two')}`, 'allow'],
    ]);
  });

  it('judges each line of a paste, and a bracketed multi-line paste as one submission', async () => {
    const { term, session } = await openSession();
    writeFileSync(file('pasted-victim'), 'keep me');
    const before = term.prompts();
    term.type(`touch ${file('paste-1')}\rrm -rf ${file('pasted-victim')}\rtouch ${file('paste-3')}\r`);
    await term.waitForPrompt(before + 3);
    expect(existsSync(file('paste-1'))).toBe(true);
    expect(existsSync(file('pasted-victim'))).toBe(true);
    expect(existsSync(file('paste-3'))).toBe(true);

    // Bracketed paste: the lines are held as one block and judged together on Enter; one is
    // blocked, so neither runs.
    await run(term, `\x1b[200~touch ${file('bracketed-1')}\nrm -rf ${file('pasted-victim')}\x1b[201~`);
    expect(existsSync(file('bracketed-1'))).toBe(false);
    expect(existsSync(file('pasted-victim'))).toBe(true);
    await run(term, `\x1b[200~touch ${file('bracketed-2')}\ntouch ${file('bracketed-3')}\x1b[201~`);
    expect(existsSync(file('bracketed-2'))).toBe(true);
    expect(existsSync(file('bracketed-3'))).toBe(true);
    term.close();
    const lines = (await h.store.commands.listBySession(session.id)).map((c) => [c.line, c.verdict]);
    expect(lines).toEqual([
      [`touch ${file('paste-1')}`, 'allow'],
      [`rm -rf ${file('pasted-victim')}`, 'block'],
      [`touch ${file('paste-3')}`, 'allow'],
      [`touch ${file('bracketed-1')}\nrm -rf ${file('pasted-victim')}`, 'block'],
      [`touch ${file('bracketed-2')}\ntouch ${file('bracketed-3')}`, 'allow'],
    ]);
  });

  it('keeps what was typed ahead with the justification for the shell', async () => {
    const change = await h.approvedChange();
    const term = await TestTerminal.open(h.proxy.port, `alice+${change.code}+web01`, h.aliceKey);
    await term.waitForText('Justification for');
    term.type(`typed ahead\rtouch ${file('typed-ahead')}\r`);
    await term.waitForPrompt(2);
    expect(existsSync(file('typed-ahead'))).toBe(true);
    term.close();
  });

  it('blocks opaque commands (computed program names, shells fed from a pipe)', async () => {
    const { term } = await openSession();
    writeFileSync(file('opaque-victim'), 'keep me');
    await run(term, `$(echo rm) ${file('opaque-victim')}`);
    expect(term.text()).toContain('cannot be judged before it runs');
    await run(term, `echo "rm ${file('opaque-victim')}" | sh`);
    expect(existsSync(file('opaque-victim'))).toBe(true);
    term.close();
  });

  it('relays keys to a full-screen program unparsed, but checks lines typed into a line-mode program', async () => {
    const { term } = await openSession();
    const altScript = `printf '\\e[?1049h'; IFS= read -r line; printf '%s' "$line" > ${file('alt-typed')}; printf '\\e[?1049l'`;
    const before = term.prompts();
    term.type(`bash -c ${shellQuote(altScript)}\r`);
    await term.waitFor((t) => t.output.includes('\x1b[?1049h'), 'the alternate screen');
    term.type(`rm -rf ${file('keep')}\r`);
    await term.waitForPrompt(before + 1);
    expect(readFileSync(file('alt-typed'), 'utf8')).toBe(`rm -rf ${file('keep')}`);

    const plainScript = `echo waiting-for-input; IFS= read -r line; printf '%s' "$line" > ${file('plain-typed')}`;
    const next = term.prompts();
    term.type(`bash -c ${shellQuote(plainScript)}\r`);
    await term.waitForText('waiting-for-input');
    term.type(`rm -rf ${file('keep')}\r`);
    await term.waitForText('is not permitted (rule no-recursive-rm)');
    term.type('harmless input\r');
    await term.waitForPrompt(next + 1);
    expect(readFileSync(file('plain-typed'), 'utf8')).toBe('harmless input');
    term.close();
  });
});

describe('following the shell', () => {
  it('follows window size changes (the device sees them, the recording has them)', async () => {
    const { term, session } = await openSession();
    term.stream.setWindow(40, 120, 0, 0);
    await run(term, 'stty size');
    expect(term.text()).toContain('40 120');
    term.close();
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('ended');
    const recording = readFileSync(join(h.dir, 'recordings', `${session.id}.cast`), 'utf8');
    expect(recording).toContain('"r", "120x40"]');
  });

  it('gives the device\'s line editing no say: Ctrl-X Ctrl-E and key bindings do nothing there', async () => {
    const { term } = await openSession();
    const viaEditor = file('via-editor');
    // Setting the editor changes what programs run: opaque, refused.
    await run(term, `export VISUAL="sh -c 'echo touch ${viaEditor} > \\$1' --"`);
    expect(term.text()).toContain('setting VISUAL changes what programs run');
    // changeguard's own editor has no edit-and-execute: the keys are ignored, the line runs as shown.
    await run(term, 'echo editing\x18\x05');
    expect(existsSync(viaEditor)).toBe(false);
    expect(term.text()).toContain('editing');
    term.close();
  });

  it('cuts the session, before anything else runs, when a line would switch off the check', async () => {
    const { term, session } = await openSession();
    term.type(`bind '"\\C-t": accept-line'; touch ${file('tripwire')}\r`);
    await term.waitForClose();
    expect(term.text()).toContain("would switch off changeguard's command check");
    expect(existsSync(file('tripwire'))).toBe(false);
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('interrupted');
  });
});

describe('the recording', () => {
  it('is written while the session runs and replays what the user saw', async () => {
    const { term, session } = await openSession('replay check');
    await run(term, 'echo recorded-$((6*7))');
    const stored = await h.store.sessions.findById(session.id);
    expect(stored?.recording).toBe(`file:${session.id}.cast`);
    // Flushed every second while the session is open: readable before it ends.
    await expect
      .poll(async () => readFileSync(join(h.dir, 'recordings', `${session.id}.cast`), 'utf8'), { timeout: 5000 })
      .toContain('recorded-42');
    term.type('exit\r');
    await term.waitForClose();
    await expect.poll(async () => (await h.store.sessions.findById(session.id))?.state).toBe('ended');

    // The web portal's replay service reads what the proxy wrote (and audits the view).
    const erin = (await h.deps.policies.user('erin'))!;
    const recording = await openSessionRecording(h.deps, h.recordings, erin, { userId: 'erin', terminal: 'web 127.0.0.1' }, session.id);
    const text = (await recording.toArray()).map((chunk: Buffer | string) => chunk.toString()).join('');
    const [headerLine, ...eventLines] = text.trimEnd().split('\n');
    expect(JSON.parse(headerLine!)).toMatchObject({ version: 2, width: 100, height: 30 });
    const events = eventLines.map((line) => JSON.parse(line) as [number, string, string]);
    expect(events.every(([t], i) => i === 0 || t >= events[i - 1]![0])).toBe(true);
    expect(events.filter(([, kind]) => kind === 'i').map(([, , data]) => data).join('')).toContain('echo recorded-$((6*7))\r');

    // Replaying the output events on a terminal of the recorded size shows the session.
    const screen = new headless.Terminal({ cols: 100, rows: 30, allowProposedApi: true });
    for (const [, kind, data] of events) if (kind === 'o') await new Promise<void>((done) => screen.write(data, done));
    const shown: string[] = [];
    for (let row = 0; row < screen.buffer.active.length; row++) shown.push(screen.buffer.active.getLine(row)?.translateToString(true) ?? '');
    expect(shown.join('\n')).toContain('recorded-42');
    expect(stripAnsi(shown.join('\n'))).toContain('$ echo recorded-$((6*7))');
    screen.dispose();

    const views = (await h.store.audit.list({ eventType: 'VIEW' })).records.filter((r) => r.object === session.id);
    expect(views).toMatchObject([{ status: 'S', actor: 'erin' }]);
    const mallory = (await h.deps.policies.user('mallory'))!;
    const refused = await openSessionRecording(h.deps, h.recordings, mallory, { userId: 'mallory', terminal: 'web' }, session.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServiceError);
    expect((refused as ServiceError).kind).toBe('forbidden');
  });
});

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
