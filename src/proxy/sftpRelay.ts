import type { Client, ClientChannel, ServerChannel } from 'ssh2';
import type { SessionState } from '../domain/session/session.js';
import { judgeSessionLine } from '../services/sessions/judgeSessionLine.js';
import type { LiveSession } from '../services/sessions/liveSession.js';
import { writeWithBackpressure } from './flowControl.js';
import type { ActiveSession, ProxyContext } from './proxyContext.js';
import type { AsciicastRecorder } from './recording/asciicastRecorder.js';
import { recordSessionEnd } from './sessionEnd.js';
import { permissionDenied, SftpFramer, type SftpRequest } from './transfer/sftpPackets.js';

/**
 * An sftp session where the policy allows file transfers (`settings.fileTransfer: allow`).
 * The client's requests are read packet by packet; each one that reads or changes a file is
 * judged as a command (`sftp put '/etc/x'`, `sftp rm '/srv/a'`), recorded and alerted like any
 * other, and refused with "permission denied" when the rules say so. Requests stay in order:
 * one waits for the judgement of the one before it. File contents are relayed, not recorded.
 */
export class SftpRelay implements ActiveSession {
  private upstream: ClientChannel | undefined;
  private readonly framer = new SftpFramer();
  private queue: Promise<void> = Promise.resolve();
  private finishing: Promise<void> | undefined;

  constructor(
    private readonly ctx: ProxyContext,
    readonly live: LiveSession,
    private readonly channel: ServerChannel,
    private readonly client: Client,
    private readonly recorder: AsciicastRecorder,
  ) {}

  async start(): Promise<void> {
    const upstream = await new Promise<ClientChannel>((resolve, reject) =>
      this.client.subsys('sftp', (error, stream) => (error ? reject(error) : resolve(stream))),
    );
    this.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => writeWithBackpressure(this.channel, upstream, chunk));
    upstream.stderr.on('data', (chunk: Buffer) => this.recorder.output(chunk));
    upstream.on('close', () => void this.finish('ended', 'the transfer finished'));
    this.client.once('close', () => void this.finish('ended_abnormally', `the connection to ${this.live.scope.session.device} was lost`));
    this.channel.on('data', (chunk: Buffer) => {
      let requests: SftpRequest[];
      try {
        requests = this.framer.push(chunk);
      } catch (error) {
        void this.finish('terminated', (error as Error).message);
        return;
      }
      for (const request of requests) this.queue = this.queue.then(() => this.handle(request));
    });
    // ssh2 ends a server channel's readable side on the client's EOF ('eof' is only emitted on the session).
    this.channel.on('end', () => upstream.end());
    this.channel.on('close', () => void this.finish('ended', 'the user disconnected'));
  }

  cut(reason: string): Promise<void> {
    return this.finish('terminated', reason);
  }

  private async handle(request: SftpRequest): Promise<void> {
    const upstream = this.upstream;
    if (upstream === undefined || this.finishing !== undefined) return;
    if (request.command === undefined || request.id === undefined) {
      writeWithBackpressure(upstream, this.channel, request.packet);
      return;
    }
    let allowed = false;
    let message = 'not permitted';
    try {
      const judgement = await judgeSessionLine(this.ctx.deps, this.ctx.alerts, this.live, request.command, 'exec', this.ctx.settings.storeOutage);
      allowed = judgement.verdict === 'allow';
      message = judgement.message ?? message;
      if (judgement.verdict === 'interrupt') {
        this.recorder.notice(`changeguard: ${request.command}: ${message}\n`);
        await this.finish('interrupted', message);
        return;
      }
    } catch (error) {
      this.ctx.logger.error({ err: error, session: this.live.scope.session.id }, 'judging an sftp request failed');
      message = 'changeguard could not judge the request';
    }
    this.recorder.notice(`changeguard: ${request.command}${allowed ? '' : ` refused: ${message}`}\n`);
    if (allowed) writeWithBackpressure(upstream, this.channel, request.packet);
    else this.channel.write(permissionDenied(request.id, `changeguard: ${message}`));
  }

  private finish(state: Exclude<SessionState, 'active'>, reason: string): Promise<void> {
    this.finishing ??= Promise.resolve().then(() => this.wrapUp(state, reason));
    return this.finishing;
  }

  private async wrapUp(state: Exclude<SessionState, 'active'>, reason: string): Promise<void> {
    this.ctx.sessions.delete(this.live.scope.session.id);
    this.upstream?.close();
    this.client.end();
    if (this.channel.writable) {
      this.channel.exit(state === 'ended' ? 0 : 1);
      this.channel.end();
    }
    await this.recorder.close();
    await recordSessionEnd(this.ctx, this.live, state, reason);
  }
}
