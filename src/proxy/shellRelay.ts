import type { Client, ClientChannel, PseudoTtyInfo, ServerChannel } from 'ssh2';
import type { SessionState } from '../domain/session/session.js';
import type { LiveSession } from '../services/sessions/liveSession.js';
import { checkProgramInput, judgeSessionLine, recordUnreadableLine, type SessionJudgement } from '../services/sessions/judgeSessionLine.js';
import { CommandCapture, notice, type LineDecision } from './capture/commandCapture.js';
import { shellIntegration } from './capture/shellIntegration.js';
import { writeWithBackpressure } from './flowControl.js';
import type { ActiveSession, ProxyContext } from './proxyContext.js';
import { recordSessionEnd } from './sessionEnd.js';
import type { AsciicastRecorder } from './recording/asciicastRecorder.js';

/**
 * An interactive session: the user's channel on one side, a marked bash on the device on the
 * other. Bytes are relayed at once both ways; the capture decides what happens to each line
 * the user submits; the recorder keeps everything shown and typed.
 */
export class ShellRelay implements ActiveSession {
  private upstream: ClientChannel | undefined;
  private capture: CommandCapture | undefined;
  private exitCode: number | undefined;
  /** The device's sshd reported how the shell ended (a status or a signal). */
  private shellExited = false;
  private finishing: Promise<void> | undefined;

  constructor(
    private readonly ctx: ProxyContext,
    readonly live: LiveSession,
    private readonly channel: ServerChannel,
    private readonly client: Client,
    private readonly pty: PseudoTtyInfo,
    private readonly recorder: AsciicastRecorder,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  /** `typeAhead`: what the user typed after the justification, before the shell existed. */
  async start(typeAhead: Buffer = Buffer.alloc(0)): Promise<void> {
    const integration = shellIntegration();
    const upstream = await new Promise<ClientChannel>((resolve, reject) => {
      this.client.exec(
        integration.command,
        { pty: { term: this.pty.term, cols: this.pty.cols, rows: this.pty.rows, width: this.pty.width, height: this.pty.height, modes: this.pty.modes }, env: { ...this.env } },
        (error, stream) => {
          if (error) return reject(error);
          // Here, not after the await: an exit status arriving in the same read as the
          // channel's confirmation would be missed ('exit' is not buffered like data is).
          stream.on('exit', (code: number | null) => {
            this.shellExited = true;
            if (typeof code === 'number') this.exitCode = code;
          });
          resolve(stream);
        },
      );
    });
    this.upstream = upstream;
    const capture = new CommandCapture(
      integration,
      { cols: this.pty.cols, rows: this.pty.rows },
      {
        toUpstream: (data) => writeWithBackpressure(upstream, this.channel, data),
        toClient: (data) => {
          this.recorder.notice(data.toString('utf8'));
          this.channel.write(data);
        },
        judgeLine: (line) => this.judge(line),
        checkProgramInput: (line) => this.checkInput(line),
        unreadable: (reason) => {
          this.ctx.logger.warn({ session: this.live.scope.session.id, reason }, 'unreadable command line blocked');
          recordUnreadableLine(this.ctx.deps, this.live, reason).catch((error: unknown) => this.logError(error, 'audit of an unreadable line failed'));
        },
        end: (message, state) => void this.finish(state, message, true),
      },
      this.ctx.settings.capture,
    );
    this.capture = capture;

    upstream.on('data', (chunk: Buffer) => {
      const parts = capture.output(chunk);
      if (Buffer.isBuffer(parts)) {
        this.recorder.output(parts);
        writeWithBackpressure(this.channel, upstream, parts);
      } else {
        for (const part of parts) {
          this.recorder.output(part);
          writeWithBackpressure(this.channel, upstream, part);
        }
      }
    });
    upstream.stderr.on('data', (chunk: Buffer) => {
      this.recorder.output(chunk);
      this.channel.stderr.write(chunk);
    });
    // A channel that closes without an exit report lost its connection (the device went down,
    // its sshd was killed, the network dropped): the user is told, and the end is abnormal.
    upstream.on('close', () => (this.shellExited ? void this.finish('ended', 'the shell exited', false) : this.connectionLost()));
    this.client.once('close', () => this.connectionLost());
    this.channel.on('data', (data: Buffer) => {
      this.recorder.input(data);
      capture.input(data);
    });
    this.channel.on('close', () => void this.finish('ended', 'the user disconnected', false));
    if (typeAhead.length > 0) {
      this.recorder.input(typeAhead);
      capture.input(typeAhead);
    }
    // Paused since the justification was read; input waiting in the channel flows now.
    this.channel.resume();
  }

  resize(info: { cols: number; rows: number; width: number; height: number }): void {
    this.upstream?.setWindow(info.rows, info.cols, info.height, info.width);
    this.capture?.resize(info.cols, info.rows);
    this.recorder.resize(info.cols, info.rows);
  }

  signal(name: string): void {
    this.upstream?.signal(name);
  }

  cut(reason: string): Promise<void> {
    return this.finish('terminated', reason, true);
  }

  private connectionLost(): void {
    void this.finish('ended_abnormally', `the connection to ${this.live.scope.session.device} was lost`, true);
  }

  private async judge(line: string): Promise<LineDecision> {
    const judgement = await judgeSessionLine(this.ctx.deps, this.ctx.alerts, this.live, line, 'shell', this.ctx.settings.storeOutage);
    return this.decisionOf(judgement);
  }

  private async checkInput(line: string): Promise<LineDecision | null> {
    const judgement = await checkProgramInput(this.ctx.deps, this.ctx.alerts, this.live, line, this.ctx.settings.storeOutage);
    return judgement ? this.decisionOf(judgement) : null;
  }

  private decisionOf(judgement: SessionJudgement): LineDecision {
    if (!judgement.stored) {
      this.ctx.logger.warn(
        { session: this.live.scope.session.id, command: judgement.record.line, verdict: judgement.verdict, rules: judgement.record.ruleIds },
        'command judged while the store is unreachable (not recorded)',
      );
    }
    const recordId = judgement.record.id;
    return {
      verdict: judgement.verdict,
      message: judgement.message,
      onExit: judgement.stored
        ? (status) => {
            this.ctx.deps.store.commands.setExitStatus(recordId, status).catch((error: unknown) => this.logError(error, 'storing an exit status failed'));
          }
        : undefined,
    };
  }

  private finish(state: Exclude<SessionState, 'active'>, reason: string, tellUser: boolean): Promise<void> {
    // Deferred, so a close event fired while wrapping up finds the session already finishing.
    this.finishing ??= Promise.resolve().then(() => this.wrapUp(state, reason, tellUser));
    return this.finishing;
  }

  private async wrapUp(state: Exclude<SessionState, 'active'>, reason: string, tellUser: boolean): Promise<void> {
    const { session } = this.live.scope;
    this.ctx.sessions.delete(session.id);
    this.capture?.close();
    if (tellUser && this.channel.writable) {
      const text = notice(reason);
      this.recorder.notice(text);
      this.channel.write(text);
    }
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
