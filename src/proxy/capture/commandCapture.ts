import { performance } from 'node:perf_hooks';
import type { Verdict } from '../../domain/rules/verdict.js';
import { PromptKeys, ProgramLine } from './inputKeys.js';
import { LineReader } from './lineReader.js';
import { OutputScanner, type OutputEvent } from './outputScanner.js';
import type { ShellIntegration } from './shellIntegration.js';

/** What the judge decided about one line. */
export interface LineDecision {
  readonly verdict: Verdict;
  /** Shown to the user when the line does not run. */
  readonly message?: string | undefined;
  /** Called with the exit status once the allowed command has finished. */
  readonly onExit?: ((status: number) => void) | undefined;
}

export interface CaptureHooks {
  toUpstream(data: Buffer): void;
  /** changeguard's own notices to the user (they are part of what the session showed). */
  toClient(data: Buffer): void;
  /** A line submitted at the shell's prompt. */
  judgeLine(line: string): Promise<LineDecision>;
  /** A line typed into a running program; null lets it through. */
  checkProgramInput(line: string): Promise<LineDecision | null>;
  /** A submitted line could not be read; it was blocked. */
  unreadable(reason: string): void;
  /** The session must end (interrupt verdict, or the shell can no longer be followed). */
  end(message: string, state: 'interrupted' | 'terminated'): void;
}

export interface CaptureTimings {
  /** Upstream silence taken to mean the echo of the typed keys is complete. */
  readonly quietMs: number;
  /** How long typed text may go unechoed before the line is refused as unreadable. */
  readonly echoTimeoutMs: number;
  /** How long the shell may take to show its first marked prompt. */
  readonly promptTimeoutMs: number;
}

export const DEFAULT_CAPTURE_TIMINGS: CaptureTimings = { quietMs: 20, echoTimeoutMs: 3000, promptTimeoutMs: 20_000 };

/**
 * starting: before the first prompt. prompt: the user edits a line. judging: Enter was
 * pressed, the line is being read and judged. submitted: the line went to the shell, which
 * has not started it yet. running: a command runs (its output is not mirrored). checking:
 * a line typed into the running program is being checked. finishing: the command ended,
 * the next prompt is not drawn yet. closed: the session is over.
 */
type State = 'starting' | 'prompt' | 'judging' | 'submitted' | 'running' | 'checking' | 'finishing' | 'closed';

interface QueuedInput {
  readonly data: Buffer;
  /** Typed before the current command started: it belongs to the next prompt, not to the program. */
  readonly forPrompt: boolean;
}

const CTRL_C = Buffer.from([0x03]);
const CTRL_U = Buffer.from([0x15]);
const BELL_ABORT = Buffer.from([0x07]);

class UnreadableLine extends Error {}

/**
 * Follows an interactive shell through its prompt markers and decides what each keystroke
 * batch does. Keys are relayed as typed; only the Enter that submits a line is held while
 * the line is read from the mirrored screen and judged. Output is relayed untouched: it is
 * scanned for markers (cheap) and mirrored into the emulator only while a line is edited.
 * Whatever cannot be followed with certainty is refused: an unreadable line is blocked, a
 * command the shell starts without a judged Enter ends the session.
 */
export class CommandCapture {
  private state: State = 'starting';
  private readonly scanner: OutputScanner;
  private readonly reader: LineReader;
  private readonly promptKeys = new PromptKeys();
  private readonly programLine = new ProgramLine();
  private queue: QueuedInput[] = [];
  private feeding = false;
  private alternate = false;
  /** Lines already sent for a command the shell is still reading (PS2). */
  private continuationText = '';
  private runningCommand: LineDecision | null = null;
  private pendingNotice: string | null = null;
  private lastOutputAt = 0;
  private awaitingOutput = false;
  private awaitingEcho = false;
  private outputWaiters: (() => void)[] = [];
  private readonly promptTimer: NodeJS.Timeout;

  constructor(
    private readonly integration: ShellIntegration,
    size: { cols: number; rows: number },
    private readonly hooks: CaptureHooks,
    private readonly timings: CaptureTimings = DEFAULT_CAPTURE_TIMINGS,
  ) {
    this.scanner = new OutputScanner(integration.nonce);
    this.reader = new LineReader(size.cols, size.rows, integration.nonce);
    this.promptTimer = setTimeout(() => {
      if (this.state === 'starting') this.fail('the shell did not show a prompt changeguard can follow (bash with prompt markers is required)', 'terminated');
    }, timings.promptTimeoutMs);
    this.promptTimer.unref();
  }

  /** Upstream output: returns what to relay to the user (the chunk itself unless a notice goes before a prompt). */
  output(chunk: Buffer): Buffer | Buffer[] {
    if (this.state === 'closed') return chunk;
    this.lastOutputAt = performance.now();
    if (this.awaitingOutput) {
      this.awaitingOutput = false;
      this.awaitingEcho = false;
      for (const wake of this.outputWaiters.splice(0)) wake();
    }
    const events = this.scanner.scan(chunk);
    if (events.length === 0) {
      if (this.feeding) this.reader.write(Buffer.from(chunk));
      return chunk;
    }
    return this.handleEvents(chunk, events);
  }

  /** User input. */
  input(data: Buffer): void {
    if (this.state === 'closed' || data.length === 0) return;
    const interrupting = (this.state === 'submitted' || this.state === 'running' || this.state === 'checking') && data.includes(0x03);
    if (interrupting && (this.queue.length > 0 || this.state !== 'running')) {
      // Ctrl-C while input waits: like a terminal, the interrupt discards the type-ahead.
      this.queue = [];
      this.hooks.toUpstream(CTRL_C);
      return;
    }
    if (this.queue.length > 0 || this.holdsInput()) {
      const forPrompt = this.state !== 'running' && this.state !== 'checking' ? true : this.queue.some((q) => q.forPrompt);
      this.queue.push({ data, forPrompt });
      return;
    }
    this.process(data);
  }

  resize(cols: number, rows: number): void {
    this.reader.resize(cols, rows);
  }

  close(): void {
    this.state = 'closed';
    clearTimeout(this.promptTimer);
    this.queue = [];
    for (const wake of this.outputWaiters.splice(0)) wake();
    this.reader.dispose();
  }

  private holdsInput(): boolean {
    return this.state === 'starting' || this.state === 'judging' || this.state === 'submitted' || this.state === 'finishing' || this.state === 'checking';
  }

  private handleEvents(chunk: Buffer, events: readonly OutputEvent[]): Buffer | Buffer[] {
    let feedFrom = 0;
    let relayFrom = 0;
    const parts: Buffer[] = [];
    for (const event of events) {
      if (event.type === 'screen') {
        this.alternate = event.alternate;
        continue;
      }
      const { marker } = event;
      switch (marker.kind) {
        case 'A':
          this.reader.reset();
          this.feeding = true;
          feedFrom = event.end;
          if (!marker.continuation) this.continuationText = '';
          if (this.pendingNotice !== null && !marker.continuation) {
            parts.push(chunk.subarray(relayFrom, event.end), Buffer.from(this.pendingNotice));
            relayFrom = event.end;
            this.pendingNotice = null;
          }
          break;
        case 'B':
          if (this.state !== 'prompt' && this.state !== 'judging') this.enterPrompt();
          break;
        case 'C':
          if (this.feeding) this.reader.write(Buffer.from(chunk.subarray(feedFrom, event.end)));
          this.feeding = false;
          feedFrom = event.end;
          if (this.state === 'prompt' || this.state === 'judging') {
            this.fail('the shell started a command changeguard did not see submitted at its prompt: the session is closed', 'terminated');
            return parts.length > 0 ? [...parts, chunk.subarray(relayFrom)] : chunk;
          }
          if (this.state === 'submitted' || this.state === 'finishing') {
            this.state = 'running';
            this.programLine.reset();
          }
          break;
        case 'D':
          // The shell waits for this before discarding type-ahead and drawing its prompt.
          this.hooks.toUpstream(this.integration.ack);
          if (this.runningCommand && marker.status !== undefined) this.runningCommand.onExit?.(marker.status);
          this.runningCommand = null;
          if (this.state === 'submitted' || this.state === 'running' || this.state === 'checking') this.state = 'finishing';
          break;
      }
    }
    if (this.feeding && feedFrom < chunk.length) this.reader.write(Buffer.from(chunk.subarray(feedFrom)));
    if (parts.length === 0) return chunk;
    parts.push(chunk.subarray(relayFrom));
    return parts;
  }

  private enterPrompt(): void {
    clearTimeout(this.promptTimer);
    this.state = 'prompt';
    this.promptKeys.reset();
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    while (this.queue.length > 0) {
      if (this.state === 'prompt') {
        this.process(this.queue.shift()!.data);
      } else if (this.state === 'running' && !this.queue[0]!.forPrompt) {
        this.process(this.queue.shift()!.data);
      } else {
        return;
      }
    }
  }

  private process(data: Buffer): void {
    if (this.state === 'prompt') this.processPromptInput(data);
    else if (this.state === 'running') this.processProgramInput(data);
    else this.queue.unshift({ data, forPrompt: true });
  }

  private processPromptInput(data: Buffer): void {
    const found = this.promptKeys.scan(data);
    if (!found) {
      this.forwardTyped(data);
      return;
    }
    this.forwardTyped(data.subarray(0, found.index));
    const rest = data.subarray(found.index + 1);
    if (found.kind === 'editAndExecute') {
      // Ctrl-G instead of Ctrl-E: readline abandons the Ctrl-X prefix and rings the bell.
      this.hooks.toUpstream(BELL_ABORT);
      if (rest.length > 0) this.processPromptInput(rest);
      return;
    }
    if (rest.length > 0) this.queue.unshift({ data: Buffer.from(rest), forPrompt: true });
    this.state = 'judging';
    void this.judgePromptLine(Buffer.from(data.subarray(found.index, found.index + 1)));
  }

  private forwardTyped(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.hooks.toUpstream(bytes);
    this.awaitingOutput = true;
    if (hasText(bytes)) this.awaitingEcho = true;
  }

  private async judgePromptLine(enter: Buffer): Promise<void> {
    let text: string | null = null;
    let unreadable = '';
    try {
      await this.settle();
      if (this.promptKeys.typedLiteralControl) throw new UnreadableLine('a control character was typed into the line, which the screen cannot show as the shell reads it');
      const read = this.reader.read();
      if (!read.ok) throw new UnreadableLine(read.reason);
      text = read.continuation && this.continuationText !== '' ? `${this.continuationText}\n${read.text}` : read.text;
    } catch (error) {
      unreadable = error instanceof Error ? error.message : String(error);
    }
    if (this.state !== 'judging') return;
    let decision: LineDecision;
    if (text === null) {
      this.hooks.unreadable(unreadable);
      decision = { verdict: 'block', message: `changeguard could not read the command line (${unreadable}); it was not run` };
    } else if (text.trim() === '') {
      decision = { verdict: 'allow' };
    } else {
      decision = await this.hooks.judgeLine(text).catch(
        (): LineDecision => ({ verdict: 'block', message: 'changeguard could not judge the command; it was not run' }),
      );
    }
    if (this.state !== 'judging') return;
    switch (decision.verdict) {
      case 'allow':
        this.runningCommand = text !== null && text.trim() !== '' ? decision : null;
        this.continuationText = text ?? '';
        this.state = 'submitted';
        this.hooks.toUpstream(enter);
        break;
      case 'block':
        // Ctrl-C makes readline drop the whole pending line (and any PS2 continuation).
        this.continuationText = '';
        // Shown just before the next prompt, where the shell has already started a new line.
        this.pendingNotice = notice(decision.message ?? 'command not permitted').slice(2);
        this.state = 'submitted';
        this.hooks.toUpstream(CTRL_C);
        break;
      case 'interrupt':
        this.fail(decision.message ?? 'command not permitted: the session is closed', 'interrupted');
        break;
    }
  }

  /**
   * Waits until the screen shows what was typed: some output must follow the last keys sent
   * (their echo), then the upstream must be quiet for a moment, then the emulator must have
   * parsed everything. Typed text that is never echoed makes the line unreadable.
   */
  private async settle(): Promise<void> {
    const deadline = performance.now() + this.timings.echoTimeoutMs;
    while (this.awaitingOutput && this.state !== 'closed') {
      const left = deadline - performance.now();
      if (left <= 0) {
        if (this.awaitingEcho) throw new UnreadableLine('the shell did not echo what was typed');
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.outputWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (;;) {
      const quiet = performance.now() - this.lastOutputAt;
      if (quiet >= this.timings.quietMs || this.state === 'closed') break;
      await new Promise((resolve) => setTimeout(resolve, this.timings.quietMs - quiet));
    }
    await this.reader.whenParsed();
  }

  private processProgramInput(data: Buffer): void {
    if (this.alternate) {
      // Full-screen programs are relayed, not parsed (their keys are not command lines).
      this.hooks.toUpstream(data);
      this.programLine.reset();
      return;
    }
    const index = this.programLine.scan(data);
    if (index < 0) {
      this.hooks.toUpstream(data);
      return;
    }
    this.hooks.toUpstream(data.subarray(0, index));
    const enter = Buffer.from(data.subarray(index, index + 1));
    const rest = data.subarray(index + 1);
    if (rest.length > 0) this.queue.unshift({ data: Buffer.from(rest), forPrompt: false });
    const line = this.programLine.take();
    if (line.trim() === '') {
      this.hooks.toUpstream(enter);
      this.drain();
      return;
    }
    this.state = 'checking';
    void this.checkProgramLine(line, enter);
  }

  private async checkProgramLine(line: string, enter: Buffer): Promise<void> {
    const decision = await this.hooks.checkProgramInput(line).catch(
      (): LineDecision => ({ verdict: 'block', message: 'changeguard could not check this input; it was not sent' }),
    );
    // The program ended meanwhile: the Enter is dropped, the shell discards the type-ahead.
    if (this.state !== 'checking') return;
    if (decision === null || decision.verdict === 'allow') {
      this.hooks.toUpstream(enter);
    } else if (decision.verdict === 'block') {
      this.hooks.toUpstream(CTRL_U);
      this.hooks.toClient(Buffer.from(notice(decision.message ?? 'input not permitted')));
    } else {
      this.fail(decision.message ?? 'input not permitted: the session is closed', 'interrupted');
      return;
    }
    this.state = 'running';
    this.drain();
  }

  private fail(message: string, state: 'interrupted' | 'terminated'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.promptTimer);
    this.queue = [];
    this.hooks.end(message, state);
  }
}

/** True if the bytes hold text the shell will echo (anything outside control keys and escape sequences). */
function hasText(bytes: Uint8Array): boolean {
  let escape = false;
  for (const byte of bytes) {
    if (escape) {
      if (byte >= 0x40 && byte <= 0x7e && byte !== 0x5b && byte !== 0x4f) escape = false;
      continue;
    }
    if (byte === 0x1b) escape = true;
    else if (byte >= 0x20 && byte !== 0x7f) return true;
  }
  return false;
}

export function notice(message: string): string {
  return `\r\n\x1b[1;31mchangeguard:\x1b[0m ${message.replace(/[\r\n]+/g, ' ')}\r\n`;
}
