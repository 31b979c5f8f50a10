import type { Readable, Writable } from 'node:stream';
import type { Client, ClientChannel, PseudoTtyInfo, ServerChannel } from 'ssh2';
import type { SessionState } from '../domain/session/session.js';
import { judgeExecCommand } from '../services/sessions/judgeSessionLine.js';
import type { LiveSession } from '../services/sessions/liveSession.js';
import { recordUnjudgedCommand } from '../services/sessions/recordUnjudgedCommand.js';
import { runtimeAllowList } from '../services/sessions/runtimeAllowList.js';
import { transferServer } from '../domain/shell/fileTransfer.js';
import { ScpControl, type ScpEntry } from './transfer/scpControl.js';
import { ExecutorMarkers, type ExecutorEvent } from './executor/executorMarkers.js';
import { execExecutorScript, executorCommand, newExecutorNonce } from './executor/executorScript.js';
import { NonceHandover } from './executor/nonceHandover.js';
import { writeWithBackpressure } from './flowControl.js';
import type { ActiveSession, ProxyContext } from './proxyContext.js';
import type { AsciicastRecorder } from './recording/asciicastRecorder.js';
import { recordSessionEnd } from './sessionEnd.js';

/** Run-time refusals recorded for one command; a loop would otherwise flood the record. */
const MAX_UNJUDGED_RECORDS = 20;

/**
 * `ssh user+CHG-42+web01@proxy 'command'`: the command is judged before anything is sent; if
 * allowed it runs on the device in a one-shot executor, under the same run-time check as an
 * interactive line (only the texts judged may run), its streams relayed and recorded and its
 * exit status stored with the command.
 */
export class ExecRelay implements ActiveSession {
  private upstream: ClientChannel | undefined;
  private exitCode: number | undefined;
  private exitSignal: string | undefined;
  private finishing: Promise<void> | undefined;
  private readonly nonce = newExecutorNonce();
  private readonly stdoutMarkers = new ExecutorMarkers(this.nonce);
  private readonly stderrMarkers = new ExecutorMarkers(this.nonce);
  /** The executor asks for the nonce on stdout first (never on its command line); the user's input waits for the answer. */
  private readonly handover = new NonceHandover(this.nonce);
  private opaque: 'block' | 'allow' = 'block';
  private unjudged = 0;
  /** For `scp -t` / `scp -f`: the names and sizes it moves (file data is relayed, not recorded). */
  private scp: { readonly control: ScpControl; readonly direction: 'upload' | 'download' } | undefined;
  /** A file transfer: its bytes are data, kept out of the recording. */
  private transferring = false;

  constructor(
    private readonly ctx: ProxyContext,
    readonly live: LiveSession,
    private readonly channel: ServerChannel,
    private readonly client: Client,
    private readonly pty: PseudoTtyInfo | undefined,
    private readonly recorder: AsciicastRecorder,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  async start(command: string): Promise<void> {
    const judgement = await judgeExecCommand(this.ctx.deps, this.ctx.alerts, this.live, command, this.ctx.settings.storeOutage);
    if (judgement.verdict !== 'allow') {
      const message = `changeguard: ${judgement.message ?? 'command not permitted'}\n`;
      this.recorder.notice(message);
      this.channel.stderr.write(message);
      await this.finish(judgement.verdict === 'interrupt' ? 'interrupted' : 'ended', judgement.message ?? 'command not permitted', 1);
      return;
    }
    const recordId = judgement.stored ? judgement.record.id : undefined;
    const parsed = this.ctx.deps.parser.parse(command);
    const transfer = transferServer(parsed);
    if (transfer !== undefined) {
      this.transferring = true;
      this.recorder.notice(`changeguard: file transfer (${transfer.program}, ${transfer.direction}): ${command}\n`);
      if (transfer.program === 'scp' && transfer.direction !== 'both') this.scp = { control: new ScpControl(), direction: transfer.direction };
    }
    const allowList = await runtimeAllowList(this.ctx.deps, this.live, parsed);
    this.opaque = this.live.lastPolicy?.policy.settings.opaque ?? 'block';
    const script = execExecutorScript({ command, allowList, opaque: this.opaque });
    const upstream = await new Promise<ClientChannel>((resolve, reject) => {
      const pty = this.pty ? { term: this.pty.term, cols: this.pty.cols, rows: this.pty.rows, width: this.pty.width, height: this.pty.height, modes: this.pty.modes } : undefined;
      this.client.exec(executorCommand(script), { ...(pty ? { pty } : {}), env: { ...this.env } }, (error, stream) => {
        if (error) return reject(error);
        // Here, not after the await: a quick command's exit status can arrive in the same
        // read as the channel's confirmation, and 'exit' is not buffered like data is.
        stream.on('exit', (code: number | null, signal?: string) => {
          if (typeof code === 'number') this.exitCode = code;
          else if (signal) this.exitSignal = signal;
          if (recordId !== undefined && typeof code === 'number') {
            this.ctx.deps.store.commands.setExitStatus(recordId, code).catch((failure: unknown) => this.logError(failure, 'storing an exit status failed'));
          }
        });
        resolve(stream);
      });
    });
    this.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => this.fromStdout(chunk, upstream));
    upstream.stderr.on('data', (chunk: Buffer) => this.relay(this.stderrMarkers, chunk, this.channel.stderr, upstream.stderr));
    // No exit report before the close: the connection to the device was lost mid-command.
    upstream.on('close', () => (this.exitCode !== undefined || this.exitSignal !== undefined ? void this.finish('ended', 'the command finished') : this.connectionLost()));
    this.client.once('close', () => this.connectionLost());
    this.channel.on('close', () => void this.finish('ended', 'the user disconnected'));
  }

  /** The executor's stdout: its nonce request first (answered, then the user's input flows), then markers and output. */
  private fromStdout(chunk: Buffer, upstream: ClientChannel): void {
    const { output: early, answer, rest } = this.handover.scan(chunk);
    if (early.length > 0) this.relay(this.stdoutMarkers, early, this.channel, upstream);
    if (answer !== undefined) {
      upstream.write(answer);
      this.relayUserInput(upstream);
    }
    if (rest.length > 0) this.relay(this.stdoutMarkers, rest, this.channel, upstream);
  }

  /** Until now the channel held the user's input (not flowing): the nonce had to be the first line the executor reads. */
  private relayUserInput(upstream: ClientChannel): void {
    this.channel.on('data', (data: Buffer) => {
      if (this.scp?.direction === 'upload') this.noteTransferred(this.scp.control.push(data));
      if (!this.transferring) this.recorder.input(data);
      writeWithBackpressure(upstream, this.channel, data);
    });
    // ssh2 ends a server channel's readable side on the client's EOF ('eof' is only emitted on the session).
    this.channel.on('end', () => upstream.end());
  }

  resize(info: { cols: number; rows: number; width: number; height: number }): void {
    this.upstream?.setWindow(info.rows, info.cols, info.height, info.width);
    this.recorder.resize(info.cols, info.rows);
  }

  signal(name: string): void {
    this.upstream?.signal(name);
  }

  cut(reason: string): Promise<void> {
    if (this.channel.writable && this.finishing === undefined) {
      const message = `changeguard: ${reason}\n`;
      this.recorder.notice(message);
      this.channel.stderr.write(message);
    }
    return this.finish('terminated', reason, 1);
  }

  private relay(markers: ExecutorMarkers, chunk: Buffer, target: Writable, source: Readable): void {
    const { output, events } = markers.scan(chunk);
    if (output.length > 0) {
      if (this.scp?.direction === 'download' && markers === this.stdoutMarkers) this.noteTransferred(this.scp.control.push(output));
      if (!this.transferring) this.recorder.output(output);
      writeWithBackpressure(target, source, output);
    }
    for (const event of events) this.onEvent(event);
  }

  private noteTransferred(entries: readonly ScpEntry[]): void {
    const verb = this.scp?.direction === 'download' ? 'download' : 'upload';
    for (const entry of entries) {
      this.recorder.notice(`changeguard: scp ${verb} ${entry.kind === 'directory' ? 'directory ' : ''}${entry.path}${entry.kind === 'file' ? ` (${entry.size} bytes, mode ${entry.mode})` : ''}\n`);
    }
  }

  private onEvent(event: ExecutorEvent): void {
    if (event.type === 'unjudged') {
      const ran = this.opaque === 'allow';
      this.unjudged++;
      if (!ran && this.channel.writable) {
        const message = `changeguard: refused at run time: "${event.text}" was not part of the judged command\n`;
        this.recorder.notice(message);
        this.channel.stderr.write(message);
      }
      if (this.unjudged > MAX_UNJUDGED_RECORDS) return;
      recordUnjudgedCommand(this.ctx.deps, this.ctx.alerts, this.live, event.text, ran).catch((error: unknown) => this.logError(error, 'recording a run-time refusal failed'));
    } else if (event.type === 'malformed' || event.type === 'ready') {
      void this.cut('the device printed text that imitates changeguard\'s own protocol: the command is stopped');
    }
  }

  private connectionLost(): void {
    if (this.finishing !== undefined) return;
    const reason = `the connection to ${this.live.scope.session.device} was lost`;
    if (this.channel.writable) {
      const message = `changeguard: ${reason}\n`;
      this.recorder.notice(message);
      this.channel.stderr.write(message);
    }
    void this.finish('ended_abnormally', reason, 255);
  }

  private finish(state: Exclude<SessionState, 'active'>, reason: string, status?: number): Promise<void> {
    // Deferred, so a close event fired while wrapping up finds the session already finishing.
    this.finishing ??= Promise.resolve().then(() => this.wrapUp(state, reason, status));
    return this.finishing;
  }

  private async wrapUp(state: Exclude<SessionState, 'active'>, reason: string, status?: number): Promise<void> {
    this.ctx.sessions.delete(this.live.scope.session.id);
    const early = this.handover.flush();
    if (early.length > 0 && this.channel.writable) this.channel.write(early);
    for (const [markers, target] of [[this.stdoutMarkers, this.channel], [this.stderrMarkers, this.channel.stderr]] as const) {
      const held = markers.flush();
      if (held.length > 0 && target.writable) target.write(held);
    }
    this.upstream?.close();
    this.client.end();
    if (this.channel.writable) {
      if (this.exitSignal !== undefined && status === undefined) this.channel.exit(this.exitSignal);
      else this.channel.exit(status ?? this.exitCode ?? 0);
      this.channel.end();
    }
    await this.recorder.close();
    await recordSessionEnd(this.ctx, this.live, state, reason);
  }

  private logError(error: unknown, message: string): void {
    this.ctx.logger.error({ err: error, session: this.live.scope.session.id }, message);
  }
}
