import type { Client, ClientChannel, PseudoTtyInfo, ServerChannel } from 'ssh2';
import type { SessionState } from '../domain/session/session.js';
import type { ParsedLine } from '../domain/shell/simpleCommand.js';
import { checkProgramInput, judgePromptLine, type SessionJudgement } from '../services/sessions/judgeSessionLine.js';
import { reviewSessionLine } from '../services/sessions/reviewSessionLine.js';
import type { LiveSession } from '../services/sessions/liveSession.js';
import { recordUnjudgedCommand } from '../services/sessions/recordUnjudgedCommand.js';
import { rememberFunctions, runtimeAllowList } from '../services/sessions/runtimeAllowList.js';
import { AlternateScreen } from './executor/alternateScreen.js';
import { ExecutorMarkers, type ExecutorEvent } from './executor/executorMarkers.js';
import { executorCommand, interactiveExecutorScript, newExecutorNonce } from './executor/executorScript.js';
import { completeFrame, runFrame } from './executor/frames.js';
import { NonceHandover } from './executor/nonceHandover.js';
import { ProgramLine } from './executor/programLine.js';
import { writeWithBackpressure } from './flowControl.js';
import { expandHistory } from './prompt/historyExpansion.js';
import { BRACKETED_PASTE_OFF, PromptEditor } from './prompt/promptEditor.js';
import type { ActiveSession, ProxyContext } from './proxyContext.js';
import type { AsciicastRecorder } from './recording/asciicastRecorder.js';
import { recordSessionEnd } from './sessionEnd.js';

/**
 * starting: the device's shell has not said it is ready. prompt: the user edits a line.
 * judging: a submitted line is being judged. awaiting: a line a review rule holds waits for an
 * approver's decision (Ctrl-C cancels it). running: the device runs a judged line.
 * completing: the device lists completions for Tab. restarting: a new shell replaces one that
 * died. closed: the session is over.
 */
type State = 'starting' | 'prompt' | 'judging' | 'awaiting' | 'running' | 'completing' | 'restarting' | 'closed';

export interface ExecutorTimings {
  /** How long the device's shell may take to start and say it is ready. */
  readonly readyTimeoutMs: number;
  /** How long Tab waits for the device's completions. */
  readonly completionTimeoutMs: number;
}

export const DEFAULT_EXECUTOR_TIMINGS: ExecutorTimings = { readyTimeoutMs: 20_000, completionTimeoutMs: 2_000 };

/** Shells that die on their own (a `${x:?}` error, `set -e`) are restarted at most this often. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;
/** Run-time refusals recorded per line; a loop would otherwise flood the record. */
const MAX_UNJUDGED_RECORDS = 20;

const CTRL_C = 0x03;
const CTRL_U = Buffer.from([0x15]);

/**
 * An interactive session. The user types into changeguard's line editor; a submitted line is
 * judged, and only an allowed line goes to the device, as a frame its executor runs under a
 * check that lets nothing else run (executor/executorScript.ts). While a line runs, keys go to
 * the program and its output to the user, with the executor's markers cut out. The recorder
 * keeps everything shown and typed.
 */
export class ShellRelay implements ActiveSession {
  private upstream: ClientChannel | undefined;
  private readonly nonce = newExecutorNonce();
  private markers = new ExecutorMarkers(this.nonce);
  /** Each executor started asks for the nonce first (never on its command line). */
  private handover = new NonceHandover(this.nonce);
  private readonly screen = new AlternateScreen();
  private readonly editor: PromptEditor;
  private state: State = 'starting';
  private challenge: string | null = null;
  private cwd: string | undefined;
  private euid = -1;
  private continuation = '';
  private readonly queue: string[] = [];
  /** Lines submitted in this session, expanded: what `!!` and friends refer to. */
  private readonly history: string[] = [];
  private held: Buffer[] = [];
  private lastOutputByte = 0x0a;
  private running: { judgement: SessionJudgement; endsShell: boolean; opaque: 'block' | 'allow'; unjudged: number } | null = null;
  private readonly programLine = new ProgramLine();
  private checkingInput = false;
  private completion: { resolve: (items: readonly string[]) => void; timer: NodeJS.Timeout } | null = null;
  private readyTimer: NodeJS.Timeout | undefined;
  private restarts: number[] = [];
  private exitCode: number | undefined;
  private shellExited = false;
  private finishing: Promise<void> | undefined;
  /** Set while a line waits for an approver: aborting it cancels the request. */
  private awaiting: AbortController | null = null;

  constructor(
    private readonly ctx: ProxyContext,
    readonly live: LiveSession,
    private readonly channel: ServerChannel,
    private readonly client: Client,
    private readonly pty: PseudoTtyInfo,
    private readonly recorder: AsciicastRecorder,
    private readonly env: Readonly<Record<string, string>>,
    private readonly timings: ExecutorTimings = DEFAULT_EXECUTOR_TIMINGS,
  ) {
    this.editor = new PromptEditor(
      {
        write: (data) => this.show(data),
        line: (text) => this.onLine(text),
        interrupt: () => {
          this.continuation = '';
          this.showPrompt();
        },
        end: () => void this.finish('ended', 'the user ended the session', false),
        complete: (line) => this.complete(line),
      },
      { cols: pty.cols, rows: pty.rows },
    );
  }


  /** `typeAhead`: what the user typed after the justification, before the shell existed. */
  async start(typeAhead: Buffer = Buffer.alloc(0)): Promise<void> {
    this.channel.on('data', (data: Buffer) => {
      this.recorder.input(data);
      this.onInput(data);
    });
    this.channel.on('close', () => void this.finish('ended', 'the user disconnected', false));
    this.client.once('close', () => this.connectionLost());
    if (typeAhead.length > 0) {
      this.recorder.input(typeAhead);
      this.onInput(typeAhead);
    }
    await this.openExecutor();
    // Paused since the justification was read; input waiting in the channel flows now.
    this.channel.resume();
  }

  resize(info: { cols: number; rows: number; width: number; height: number }): void {
    this.upstream?.setWindow(info.rows, info.cols, info.height, info.width);
    this.editor.resize(info.cols, info.rows);
    this.recorder.resize(info.cols, info.rows);
  }

  signal(name: string): void {
    this.upstream?.signal(name);
  }

  cut(reason: string): Promise<void> {
    return this.finish('terminated', reason, true);
  }

  private async openExecutor(): Promise<void> {
    const script = interactiveExecutorScript({ cwd: this.cwd });
    const { term, cols, rows, width, height, modes } = this.pty;
    const upstream = await new Promise<ClientChannel>((resolve, reject) => {
      this.client.exec(executorCommand(script), { pty: { term, cols, rows, width, height, modes }, env: { ...this.env } }, (error, stream) => {
        if (error) return reject(error);
        // Here, not after the await: an exit status arriving in the same read as the
        // channel's confirmation would be missed ('exit' is not buffered like data is).
        stream.on('exit', (code: number | null) => {
          this.shellExited = true;
          if (typeof code === 'number') this.exitCode = code;
        });
        resolve(stream);
      });
    });
    this.upstream = upstream;
    this.shellExited = false;
    this.markers = new ExecutorMarkers(this.nonce);
    this.handover = new NonceHandover(this.nonce);
    this.readyTimer = setTimeout(() => {
      if (this.state === 'starting' || this.state === 'restarting') {
        void this.finish('terminated', `the shell on ${this.live.scope.session.device} did not start (changeguard needs bash 4.4 or newer there)`, true);
      }
    }, this.timings.readyTimeoutMs);
    this.readyTimer.unref();
    upstream.on('data', (chunk: Buffer) => this.onOutput(chunk, upstream));
    upstream.stderr.on('data', (chunk: Buffer) => this.onOutput(chunk, upstream));
    upstream.on('close', () => this.onUpstreamClosed(upstream));
  }

  private onOutput(chunk: Buffer, upstream: ClientChannel): void {
    if (upstream !== this.upstream || this.state === 'closed') return;
    const { output: early, answer, rest } = this.handover.scan(chunk);
    this.showDeviceOutput(early, upstream);
    if (answer !== undefined) upstream.write(answer);
    if (rest.length === 0) return;
    const { output, events } = this.markers.scan(rest);
    this.showDeviceOutput(output, upstream);
    for (const event of events) this.onEvent(event);
  }

  private showDeviceOutput(output: Buffer, upstream: ClientChannel): void {
    if (output.length === 0) return;
    this.screen.scan(output);
    this.lastOutputByte = output[output.length - 1] as number;
    this.recorder.output(output);
    writeWithBackpressure(this.channel, upstream, output);
  }

  private onEvent(event: ExecutorEvent): void {
    switch (event.type) {
      case 'ready':
        this.onReady(event);
        return;
      case 'unjudged':
        this.onUnjudged(event.text);
        return;
      case 'completions':
        if (this.completion !== null) {
          clearTimeout(this.completion.timer);
          this.completion.resolve(event.items);
          this.completion = null;
        }
        return;
      case 'malformed':
        void this.finish('terminated', 'the device printed text that imitates changeguard\'s own protocol: the session is closed', true);
        return;
    }
  }

  private onReady(event: Extract<ExecutorEvent, { type: 'ready' }>): void {
    const before = this.state;
    if (before !== 'starting' && before !== 'restarting' && before !== 'running' && before !== 'completing') {
      // Only the executor, between lines, says it is ready: anything else is forged.
      void this.finish('terminated', 'the device announced a prompt changeguard did not expect (forged protocol text): the session is closed', true);
      return;
    }
    clearTimeout(this.readyTimer);
    this.challenge = event.challenge;
    this.cwd = event.cwd;
    this.live.workingDirectory = event.cwd;
    this.euid = event.euid;
    if (before === 'running' && this.running !== null) {
      const { judgement } = this.running;
      if (judgement.stored) {
        this.ctx.deps.store.commands.setExitStatus(judgement.record.id, event.status).catch((error: unknown) => this.logError(error, 'storing an exit status failed'));
      }
      this.running = null;
    }
    this.state = 'prompt';
    this.screen.reset();
    if (before !== 'completing') this.showPrompt();
    this.nextLine();
  }

  private onUnjudged(text: string): void {
    const running = this.running;
    const ran = running?.opaque === 'allow';
    if (running !== null) running.unjudged++;
    if (!ran) this.tell(`refused at run time: "${text}" was not part of the judged line`);
    if (running !== null && running.unjudged > MAX_UNJUDGED_RECORDS) return;
    recordUnjudgedCommand(this.ctx.deps, this.ctx.alerts, this.live, text, ran).catch((error: unknown) => this.logError(error, 'recording a run-time refusal failed'));
  }

  private onInput(data: Buffer): void {
    switch (this.state) {
      case 'starting':
      case 'restarting':
      case 'judging':
      case 'prompt':
      case 'completing':
        // The editor keeps keys typed ahead of a prompt for that prompt.
        this.editor.feed(data);
        return;
      case 'awaiting':
        // Ctrl-C gives up waiting; other keys are typed ahead of the next prompt.
        if (data.includes(CTRL_C)) this.awaiting?.abort();
        else this.editor.feed(data);
        return;
      case 'running':
        this.programInput(data);
        return;
      case 'closed':
        return;
    }
  }

  private onLine(text: string): void {
    const combined = this.continuation === '' ? text : `${this.continuation}\n${text}`;
    if (this.ctx.deps.parser.continues(combined)) {
      this.continuation = combined;
      this.editor.prompt('> ');
      return;
    }
    this.continuation = '';
    if (combined.trim() === '') {
      if (this.state === 'prompt') this.showPrompt();
      return;
    }
    const expansion = expandHistory(combined, this.history);
    if (!expansion.ok) {
      this.tell(expansion.error);
      if (this.state === 'prompt') this.showPrompt();
      return;
    }
    // Like bash: the expanded line is shown, and it is what is judged and run.
    if (expansion.expanded) this.show(Buffer.from(`${expansion.line.replace(/\n/g, '\r\n')}\r\n`));
    this.history.push(expansion.line);
    this.queue.push(expansion.line);
    this.nextLine();
  }

  private nextLine(): void {
    if (this.state !== 'prompt') return;
    const line = this.queue.shift();
    if (line === undefined) return;
    this.state = 'judging';
    void this.submit(line).catch((error: unknown) => {
      this.logError(error, 'judging a line failed');
      this.tell('changeguard could not judge the command; it was not run');
      this.backToPrompt();
    });
  }

  private async submit(line: string): Promise<void> {
    const judged = await judgePromptLine(this.ctx.deps, this.ctx.alerts, this.live, line, this.ctx.settings.storeOutage);
    if (this.state !== 'judging') return;
    let judgement: SessionJudgement;
    if (judged.verdict === 'review') {
      // Not in the approved script and a review rule matched it: it waits for an approver.
      this.state = 'awaiting';
      const cancel = new AbortController();
      this.awaiting = cancel;
      try {
        judgement = await reviewSessionLine(this.ctx.deps, this.ctx.alerts, this.live, judged, {
          timeoutMs: this.ctx.settings.deviationTimeoutMs,
          cancel: cancel.signal,
          onWaiting: () => this.tell('not in the approved script: waiting for approval, Ctrl-C to cancel'),
        });
      } finally {
        this.awaiting = null;
      }
      if (this.state !== 'awaiting') return;
      this.state = 'judging';
      if (judgement.verdict === 'allow') this.tell('allowed once by an approver');
    } else {
      judgement = judged;
    }
    if (!judgement.stored) {
      this.ctx.logger.warn(
        { session: this.live.scope.session.id, command: judgement.record.line, verdict: judgement.verdict, rules: judgement.record.ruleIds },
        'command judged while the store is unreachable (not recorded)',
      );
    }
    if (judgement.verdict === 'interrupt') {
      await this.finish('interrupted', judgement.message ?? 'command not permitted: the session is closed', true);
      return;
    }
    if (judgement.verdict === 'block') {
      this.tell(judgement.message ?? 'command not permitted');
      this.backToPrompt();
      return;
    }
    const parsed = this.ctx.deps.parser.parse(line);
    rememberFunctions(this.live, parsed);
    const allowList = await runtimeAllowList(this.ctx.deps, this.live, parsed);
    const opaque = this.live.lastPolicy?.policy.settings.opaque ?? 'block';
    const upstream = this.upstream;
    const challenge = this.challenge;
    if (this.state !== 'judging' || upstream === undefined || challenge === null) return;
    this.running = { judgement, endsShell: endsShell(parsed), opaque, unjudged: 0 };
    this.state = 'running';
    // Programs get plain keys; each turns bracketed paste on itself if it wants it.
    this.show(BRACKETED_PASTE_OFF);
    this.programLine.reset();
    this.lastOutputByte = 0x0a;
    upstream.write(runFrame(challenge, line, opaque, allowList));
  }

  private backToPrompt(): void {
    if (this.state === 'closed') return;
    this.state = 'prompt';
    this.showPrompt();
    this.nextLine();
  }

  /** Keys for the running program: relayed, except that a line matching a deny rule is not entered. */
  private programInput(data: Buffer): void {
    const upstream = this.upstream;
    if (upstream === undefined) return;
    if (this.checkingInput) {
      this.held.push(data);
      return;
    }
    if (data.includes(CTRL_C)) this.programLine.reset();
    if (this.screen.alternate) {
      // Full-screen programs are relayed, not parsed (their keys are not command lines).
      writeWithBackpressure(upstream, this.channel, data);
      return;
    }
    const index = this.programLine.scan(data);
    if (index < 0) {
      writeWithBackpressure(upstream, this.channel, data);
      return;
    }
    writeWithBackpressure(upstream, this.channel, data.subarray(0, index));
    const enter = Buffer.from(data.subarray(index, index + 1));
    const rest = data.subarray(index + 1);
    const line = this.programLine.take();
    if (line.trim() === '') {
      upstream.write(enter);
      if (rest.length > 0) this.programInput(Buffer.from(rest));
      return;
    }
    this.checkingInput = true;
    if (rest.length > 0) this.held.unshift(Buffer.from(rest));
    void this.checkProgramLine(line, enter);
  }

  private async checkProgramLine(line: string, enter: Buffer): Promise<void> {
    let judgement: SessionJudgement | null;
    try {
      judgement = await checkProgramInput(this.ctx.deps, this.ctx.alerts, this.live, line, this.ctx.settings.storeOutage);
    } catch (error) {
      this.logError(error, 'checking program input failed');
      judgement = null;
    }
    this.checkingInput = false;
    if (this.state !== 'running' || this.upstream === undefined) return;
    if (judgement === null || judgement.verdict === 'allow') {
      this.upstream.write(enter);
    } else if (judgement.verdict === 'block') {
      this.upstream.write(CTRL_U);
      this.tell(judgement.message ?? 'input not permitted');
    } else {
      await this.finish('interrupted', judgement.message ?? 'input not permitted: the session is closed', true);
      return;
    }
    const held = this.held;
    this.held = [];
    for (const data of held) this.programInput(data);
  }

  private async complete(line: string): Promise<[string[], string]> {
    const word = /\S*$/.exec(line)?.[0] ?? '';
    const challenge = this.challenge;
    if (this.state !== 'prompt' || this.upstream === undefined || challenge === null || this.continuation !== '') return [[], word];
    const first = line.trim() === word && !word.includes('/');
    this.state = 'completing';
    const items = await new Promise<readonly string[]>((resolve) => {
      const timer = setTimeout(() => {
        this.completion = null;
        resolve([]);
      }, this.timings.completionTimeoutMs);
      this.completion = { resolve, timer };
      this.upstream?.write(completeFrame(challenge, first ? 'c' : 'f', word));
    });
    return [[...new Set(items)].sort(), word];
  }

  private showPrompt(): void {
    if (this.state === 'closed') return;
    if (this.lastOutputByte !== 0x0a) this.show(Buffer.from('\r\n'));
    this.lastOutputByte = 0x0a;
    const device = this.live.scope.session.device;
    const where = this.cwd ?? '~';
    this.editor.prompt(`${this.live.scope.session.user}@${device}:${where}${this.euid === 0 ? '#' : '$'} `);
  }

  /** changeguard's own notice, on a line of its own. */
  private tell(message: string): void {
    const text = `${this.lastOutputByte === 0x0a ? '' : '\r\n'}\x1b[1;31mchangeguard:\x1b[0m ${message.replace(/[\r\n]+/g, ' ')}\r\n`;
    this.lastOutputByte = 0x0a;
    this.recorder.notice(text);
    if (this.channel.writable) this.channel.write(text);
  }

  /** What the editor draws: shown and recorded like output. */
  private show(data: Buffer): void {
    if (this.state === 'closed' || !this.channel.writable) return;
    this.recorder.output(data);
    this.channel.write(data);
  }

  private onUpstreamClosed(upstream: ClientChannel): void {
    if (upstream !== this.upstream || this.state === 'closed') return;
    const held = Buffer.concat([this.handover.flush(), this.markers.flush()]);
    if (held.length > 0) this.show(held);
    if (!this.shellExited) {
      this.connectionLost();
      return;
    }
    if (this.running?.endsShell === true || this.state === 'prompt') {
      void this.finish('ended', 'the shell exited', false);
      return;
    }
    // The shell died on its own (a fatal expansion error, `set -e`, a killed process): the
    // session goes on in a new one, in the same directory.
    const now = Date.now();
    this.restarts = this.restarts.filter((at) => now - at < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      void this.finish('ended', `the shell on ${this.live.scope.session.device} keeps exiting`, true);
      return;
    }
    this.restarts.push(now);
    if (this.running !== null && this.running.judgement.stored && this.exitCode !== undefined) {
      this.ctx.deps.store.commands.setExitStatus(this.running.judgement.record.id, this.exitCode).catch((error: unknown) => this.logError(error, 'storing an exit status failed'));
    }
    this.running = null;
    this.state = 'restarting';
    this.tell(`the shell exited${this.exitCode === undefined ? '' : ` (status ${this.exitCode})`}; a new one starts in ${this.cwd ?? 'the home directory'} (shell variables and functions are gone)`);
    this.live.functions.clear();
    this.openExecutor().catch((error: unknown) => void this.finish('ended_abnormally', `the shell could not be restarted: ${(error as Error).message}`, true));
  }

  private connectionLost(): void {
    void this.finish('ended_abnormally', `the connection to ${this.live.scope.session.device} was lost`, true);
  }

  private finish(state: Exclude<SessionState, 'active'>, reason: string, tellUser: boolean): Promise<void> {
    // Deferred, so a close event fired while wrapping up finds the session already finishing.
    this.finishing ??= Promise.resolve().then(() => this.wrapUp(state, reason, tellUser));
    return this.finishing;
  }

  private async wrapUp(state: Exclude<SessionState, 'active'>, reason: string, tellUser: boolean): Promise<void> {
    const { session } = this.live.scope;
    if (tellUser && this.channel.writable) this.tell(reason);
    this.state = 'closed';
    this.awaiting?.abort(`the session ended while it waited: ${reason}`);
    clearTimeout(this.readyTimer);
    if (this.completion !== null) {
      clearTimeout(this.completion.timer);
      this.completion.resolve([]);
    }
    this.ctx.sessions.delete(session.id);
    this.editor.close();
    this.upstream?.close();
    this.client.end();
    if (this.channel.writable) {
      this.channel.exit(state === 'ended' ? (this.exitCode ?? 0) : 1);
      this.channel.end();
    }
    await this.recorder.close();
    await recordSessionEnd(this.ctx, this.live, state, reason);
    this.ctx.logger.info({ session: session.id, change: session.changeCode, state, reason }, 'session ended');
  }

  private logError(error: unknown, message: string): void {
    this.ctx.logger.error({ err: error, session: this.live.scope.session.id }, message);
  }
}

/** A line whose top level exits the shell: its end is the session's end, not a crash. */
function endsShell(parsed: ParsedLine): boolean {
  return parsed.commands.some((c) => c.program === 'exit' || c.program === 'logout' || (c.program === 'exec' && c.args.some((a) => !a.startsWith('-') && !/^\d*[<>]/.test(a))));
}
