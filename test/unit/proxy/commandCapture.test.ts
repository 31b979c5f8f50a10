import { afterEach, describe, expect, it } from 'vitest';
import { CommandCapture, type LineDecision } from '../../../src/proxy/capture/commandCapture.js';
import { shellIntegration } from '../../../src/proxy/capture/shellIntegration.js';

const integration = shellIntegration('abcdef12');
const mark = (body: string) => `\x1b]133;${body};cg=${integration.nonce}\x07`;
const PROMPT = `${mark('A')}$ ${mark('B')}`;

/**
 * A stand-in for the marked bash on the device: echoes keys, runs a line on Enter (C, its
 * output, D), waits for the proxy's acknowledgement after D, then draws the next prompt.
 */
class FakeShell {
  readonly received: string[] = [];
  readonly ran: string[] = [];
  echo = true;
  private line = '';
  private waitingAck = false;
  constructor(private readonly capture: () => CommandCapture, private readonly shown: string[]) {}

  emit(text: string): void {
    setImmediate(() => {
      const parts = this.capture().output(Buffer.from(text));
      for (const part of Buffer.isBuffer(parts) ? [parts] : parts) this.shown.push(part.toString());
    });
  }

  start(): void {
    this.emit(`${mark('D;0')}`);
    this.waitingAck = true;
  }

  input(data: Buffer): void {
    const text = data.toString();
    this.received.push(text);
    if (this.waitingAck && text === integration.ack.toString('latin1')) {
      this.waitingAck = false;
      this.emit(PROMPT);
      return;
    }
    for (const char of text) {
      if (char === '\r') {
        const line = this.line;
        this.line = '';
        this.ran.push(line);
        this.emit(`\r\n${mark('C')}ran ${line}\r\n${mark('D;0')}`);
        this.waitingAck = true;
      } else if (char === '\x03') {
        this.line = '';
        this.emit(`^C\r\n${mark('D;130')}`);
        this.waitingAck = true;
      } else if (char === '\x7f') {
        this.line = this.line.slice(0, -1);
        if (this.echo) this.emit('\b \b');
      } else {
        this.line += char;
        if (this.echo) this.emit(char);
      }
    }
  }
}

interface Rig {
  shell: FakeShell;
  capture: CommandCapture;
  shown: string[];
  judged: string[];
  ended: { message: string; state: string }[];
}

let rig: Rig | undefined;
afterEach(() => rig?.capture.close());

function setUp(judge: (line: string) => LineDecision = () => ({ verdict: 'allow' })): Rig {
  const shown: string[] = [];
  const judged: string[] = [];
  const ended: { message: string; state: string }[] = [];
  let capture: CommandCapture | undefined;
  const shell = new FakeShell(() => capture!, shown);
  capture = new CommandCapture(
    integration,
    { cols: 80, rows: 24 },
    {
      toUpstream: (data) => shell.input(data),
      toClient: (data) => shown.push(data.toString()),
      judgeLine: async (line) => {
        judged.push(line);
        return judge(line);
      },
      checkProgramInput: async () => null,
      unreadable: () => undefined,
      end: (message, state) => ended.push({ message, state }),
    },
    { quietMs: 5, echoTimeoutMs: 300, promptTimeoutMs: 2000 },
  );
  rig = { shell, capture, shown, judged, ended };
  return rig;
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const prompts = (r: Rig) => r.shown.join('').split(mark('B')).length - 1;

describe('the command capture', () => {
  it('holds input until the first prompt, then judges each submitted line before the shell gets the Enter', async () => {
    const r = setUp();
    r.capture.input(Buffer.from('echo one\recho two\r'));
    r.shell.start();
    await until(() => r.shell.ran.length === 2, 'both lines to run');
    expect(r.judged).toEqual(['echo one', 'echo two']);
    expect(r.shell.ran).toEqual(['echo one', 'echo two']);
    // Every D was acknowledged, so the shell drew every prompt.
    await until(() => prompts(r) === 3, 'the third prompt');
  });

  it('drops a blocked line with Ctrl-C and shows why just before the next prompt', async () => {
    const r = setUp((line) => (line.startsWith('rm') ? { verdict: 'block', message: 'no rm here' } : { verdict: 'allow' }));
    r.shell.start();
    await until(() => prompts(r) === 1, 'the first prompt');
    r.capture.input(Buffer.from('rm -rf /\rls\r'));
    await until(() => r.shell.ran.length === 1, 'ls to run');
    expect(r.shell.ran).toEqual(['ls']);
    expect(r.shell.received).toContain('\x03');
    const screen = r.shown.join('');
    expect(screen.indexOf('no rm here')).toBeGreaterThan(screen.indexOf('^C'));
    expect(screen.indexOf('no rm here')).toBeLessThan(screen.lastIndexOf('$ '));
  });

  it('ends the session on an interrupt verdict', async () => {
    const r = setUp(() => ({ verdict: 'interrupt', message: 'stop: the session is closed' }));
    r.shell.start();
    await until(() => prompts(r) === 1, 'the first prompt');
    r.capture.input(Buffer.from('reboot\r'));
    await until(() => r.ended.length === 1, 'the end');
    expect(r.ended).toEqual([{ message: 'stop: the session is closed', state: 'interrupted' }]);
    expect(r.shell.ran).toEqual([]);
  });

  it('refuses a line whose typed text the shell never echoed', async () => {
    const r = setUp();
    r.shell.start();
    await until(() => prompts(r) === 1, 'the first prompt');
    r.shell.echo = false;
    r.capture.input(Buffer.from('rm -rf /\r'));
    await until(() => r.shown.join('').includes('could not read the command line'), 'the refusal');
    expect(r.shown.join('')).toContain('the shell did not echo what was typed');
    expect(r.judged).toEqual([]);
    expect(r.shell.ran).toEqual([]);
  });

  it('ends the session when the shell starts a command nobody submitted', async () => {
    const r = setUp();
    r.shell.start();
    await until(() => prompts(r) === 1, 'the first prompt');
    r.shell.emit(`\r\n${mark('C')}`);
    await until(() => r.ended.length === 1, 'the end');
    expect(r.ended[0]?.state).toBe('terminated');
  });

  it('ends the session when no marked prompt ever appears', async () => {
    const shown: string[] = [];
    const ended: string[] = [];
    const capture = new CommandCapture(
      integration,
      { cols: 80, rows: 24 },
      {
        toUpstream: () => undefined,
        toClient: () => undefined,
        judgeLine: async () => ({ verdict: 'allow' }),
        checkProgramInput: async () => null,
        unreadable: () => undefined,
        end: (message) => ended.push(message),
      },
      { quietMs: 5, echoTimeoutMs: 100, promptTimeoutMs: 50 },
    );
    capture.output(Buffer.from('sh-5.2$ '));
    await until(() => ended.length === 1, 'the end');
    expect(ended[0]).toContain('did not show a prompt changeguard can follow');
    expect(shown).toEqual([]);
    capture.close();
  });
});
