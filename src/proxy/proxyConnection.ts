import { randomUUID } from 'node:crypto';
import ssh2, { type AuthContext, type Client, type ClientInfo, type Connection, type PseudoTtyInfo, type ServerChannel, type Session } from 'ssh2';
import type { LoginName } from '../domain/session/loginName.js';
import { identifyProxyUser } from '../services/sessions/identifyProxyUser.js';
import { newLiveSession } from '../services/sessions/liveSession.js';
import { authoriseSession, justificationSchema, listSessionTargets, openSession, recordUpstreamFailure, type SessionGrant } from '../services/sessions/openSession.js';
import { ServiceError } from '../services/serviceError.js';
import { isStoreUnavailable } from '../store/storeErrors.js';
import { ExecRelay } from './execRelay.js';
import type { ProxyContext } from './proxyContext.js';
import { AsciicastRecorder } from './recording/asciicastRecorder.js';
import { SftpRelay } from './sftpRelay.js';
import { ShellRelay } from './shellRelay.js';
import { PromptCancelled, TerminalLineReader } from './terminalPrompt.js';
import { oneWritePerRelayTurn, socketOf } from './relayTurns.js';
import { connectUpstream, UpstreamError } from './upstream.js';

/** Environment the client may pass on (sshd's usual AcceptEnv), plus the exec justification. */
const PASSED_ENV = /^(LANG|LC_[A-Z]+|TZ)$/;
const JUSTIFICATION_ENV = 'CHANGEGUARD_JUSTIFICATION';
const MAX_ATTEMPTS = 3;
const STORE_OUTAGE_REFUSAL = 'changeguard cannot reach its store: new sessions are refused until it is back';

type Relay = ShellRelay | ExecRelay;

/**
 * One SSH client connection: public-key authentication against the policy, one session
 * channel (shell with a terminal, or exec), everything else refused: port forwarding
 * (`-L`, `-R`, `-J`), agent and X11 forwarding, sftp.
 */
export class ProxyConnection {
  private login: LoginName | undefined;
  /** Logged in while the store was unreachable: the session request only gets the reason it is refused. */
  private refuseForOutage = false;
  private refusalAudited = false;
  private sessionOpened = false;
  private relay: Relay | undefined;
  private pty: PseudoTtyInfo | undefined;
  private readonly env: Record<string, string> = {};
  private readonly address: string;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly client: Connection,
    info: ClientInfo,
  ) {
    this.address = info.ip;
    client.on('authentication', (auth) => void this.authenticate(auth));
    client.on('session', (accept, reject) => {
      if (this.sessionOpened) return reject();
      this.sessionOpened = true;
      this.handleSession(accept());
    });
    client.on('tcpip', (_accept, reject, info) => {
      this.refused('port forwarding', `${info.destIP}:${info.destPort}`);
      reject();
    });
    client.on('openssh.streamlocal', (_accept, reject) => {
      this.refused('socket forwarding', '');
      reject();
    });
    client.on('request', (_accept, reject, name) => {
      if (!name.startsWith('cancel-')) this.refused('remote forwarding', name);
      reject?.();
    });
    client.on('error', (error) => this.ctx.logger.debug({ err: error, client: this.address }, 'client connection error'));
  }

  private async authenticate(auth: AuthContext): Promise<void> {
    if (auth.method !== 'publickey') return auth.reject(['publickey']);
    try {
      const result = await identifyProxyUser(this.ctx.deps, auth.username, auth.key.data, this.address, { audit: !this.refusalAudited });
      if (!result.ok) {
        if (result.reason !== 'unknown_key') this.refusalAudited = true;
        this.ctx.logger.info({ client: this.address, login: auth.username, reason: result.message }, 'proxy login refused');
        return auth.reject(['publickey']);
      }
      if (auth.signature) {
        if (!this.signatureValid(auth)) return auth.reject(['publickey']);
        this.login = result.login;
      }
      auth.accept();
    } catch (error) {
      this.ctx.logger.error({ err: error, client: this.address }, 'proxy authentication failed');
      if (!isStoreUnavailable(error)) return auth.reject(['publickey']);
      // Store unreachable: nobody gets in (fail closed), but a bare authentication failure
      // would not say why. The holder of the key (signature checked) gets a session channel
      // that only carries the one-line reason; no device is ever reached this way.
      if (auth.signature && !this.signatureValid(auth)) return auth.reject(['publickey']);
      if (auth.signature) this.refuseForOutage = true;
      auth.accept();
    }
  }

  private signatureValid(auth: Extract<AuthContext, { method: 'publickey' }>): boolean {
    const key = ssh2.utils.parseKey(auth.key.data);
    return !(key instanceof Error) && auth.blob !== undefined && auth.signature !== undefined && key.verify(auth.blob, auth.signature, auth.hashAlgo) === true;
  }

  private handleSession(session: Session): void {
    session.on('pty', (accept, _reject, info) => {
      this.pty = info;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      if (this.pty) this.pty = { ...this.pty, cols: info.cols, rows: info.rows, width: info.width, height: info.height };
      this.relay?.resize(info);
      accept?.();
    });
    session.on('env', (accept, reject, info) => {
      if (PASSED_ENV.test(info.key) || info.key === JUSTIFICATION_ENV) {
        this.env[info.key] = info.val;
        accept?.();
      } else {
        reject?.();
      }
    });
    session.on('signal', (accept, _reject, info) => {
      this.relay?.signal(info.name);
      accept?.();
    });
    session.on('x11', (_accept, reject) => reject?.());
    session.on('auth-agent', (_accept, reject) => reject?.());
    session.on('shell', (accept) => void this.runShell(accept()));
    session.on('exec', (accept, _reject, info) => void this.runExec(accept(), info.command));
    session.on('subsystem', (accept, _reject, info) => void this.runSubsystem(accept(), info.name));
  }

  private async runShell(channel: ServerChannel): Promise<void> {
    // One session per connection: when it ends, so does the connection.
    channel.once('close', () => this.client.end());
    if (this.refuseForOutage) return this.reject(channel, STORE_OUTAGE_REFUSAL, this.pty !== undefined);
    const pty = this.pty;
    if (!pty) {
      return this.reject(channel, 'interactive sessions need a terminal (ssh -t); to run one command, give it: ssh user+CHANGE+server@proxy \'command\'', false);
    }
    const login = this.login;
    if (!login) return this.reject(channel, 'not authenticated', true);
    let upstream: Client | undefined;
    const typed = new TerminalLineReader(channel);
    try {
      const target = await this.chooseTarget(channel, typed, login);
      if (!target) return this.close(channel, 1);
      const request = { user: login.user, changeCode: target.changeCode, device: target.device, clientAddress: this.address };
      const grant = await authoriseSession(this.ctx.deps, request);
      const justification = await this.askJustification(channel, typed, grant);
      const client = await this.connect(request, grant, channel);
      upstream = client;
      const id = randomUUID();
      const writer = await this.ctx.recordings.create(id);
      const { session, grant: opened } = await openSession(this.ctx.deps, this.ctx.alerts, {
        ...request,
        kind: 'shell',
        justification,
        owner: this.ctx.owner,
        id,
        recording: writer.ref,
      });
      const recorder = new AsciicastRecorder(
        writer,
        { width: pty.cols, height: pty.rows, timestamp: Math.floor(session.startedAt.getTime() / 1000), title: `${session.changeCode} ${session.device} ${session.user}`, env: { TERM: pty.term, SHELL: '/bin/bash' } },
        (error) => this.ctx.logger.error({ err: error, session: id }, 'recording write failed'),
      );
      const live = newLiveSession({ session, group: opened.change.group, interruptAttempts: new Map() }, opened.change);
      channel.write(`changeguard: session ${session.id} on ${session.device} for ${session.changeCode} (recorded)\r\n`);
      const relay = new ShellRelay(this.ctx, live, channel, client, pty, recorder, this.passedEnv(), this.ctx.settings.executor);
      this.relay = relay;
      this.ctx.sessions.set(session.id, relay);
      try {
        await relay.start(typed.takeRest());
      } catch (error) {
        void relay.cut(`the shell could not be started on ${session.device}: ${(error as Error).message}`);
        return;
      }
      this.ctx.logger.info({ session: session.id, change: session.changeCode, device: session.device, user: session.user }, 'shell session started');
    } catch (error) {
      upstream?.end();
      this.failed(channel, error, true);
    }
  }

  private async runExec(channel: ServerChannel, command: string): Promise<void> {
    const opened = await this.openNamedTarget(channel, 'to run a command', command);
    if (opened === undefined) return;
    const relay = new ExecRelay(this.ctx, opened.live, channel, opened.client, this.pty, opened.recorder, this.passedEnv());
    this.relay = relay;
    this.ctx.sessions.set(opened.live.scope.session.id, relay);
    try {
      await relay.start(command);
    } catch (error) {
      void relay.cut(`the command could not be started on ${opened.live.scope.session.device}: ${(error as Error).message}`);
    }
  }

  /** sftp, where the policy allows file transfers: each request judged (SftpRelay). */
  private async runSftp(channel: ServerChannel): Promise<void> {
    const opened = await this.openNamedTarget(channel, 'to transfer files', 'sftp');
    if (opened === undefined) return;
    const relay = new SftpRelay(this.ctx, opened.live, channel, opened.client, opened.recorder);
    this.ctx.sessions.set(opened.live.scope.session.id, relay);
    try {
      await relay.start();
    } catch (error) {
      void relay.cut(`sftp could not be started on ${opened.live.scope.session.device}: ${(error as Error).message}`);
    }
  }

  /**
   * A non-interactive session on the change and server the login name gives: authorised,
   * connected, stored and recording. Undefined (the channel closed with the reason) when refused.
   */
  private async openNamedTarget(
    channel: ServerChannel,
    purpose: string,
    title: string,
  ): Promise<{ client: Client; live: ReturnType<typeof newLiveSession>; recorder: AsciicastRecorder } | undefined> {
    channel.once('close', () => this.client.end());
    if (this.refuseForOutage) {
      this.reject(channel, STORE_OUTAGE_REFUSAL, this.pty !== undefined);
      return undefined;
    }
    const login = this.login;
    const withPty = this.pty !== undefined;
    if (!login) {
      this.reject(channel, 'not authenticated', withPty);
      return undefined;
    }
    if (login.changeCode === undefined || login.device === undefined) {
      this.reject(channel, `${purpose}, name the change and the server: ssh user+CHG-42+web01@proxy`, withPty);
      return undefined;
    }
    let upstream: Client | undefined;
    try {
      const request = { user: login.user, changeCode: login.changeCode, device: login.device, clientAddress: this.address };
      const grant = await authoriseSession(this.ctx.deps, request);
      const client = await this.connect(request, grant, channel);
      upstream = client;
      const id = randomUUID();
      const writer = await this.ctx.recordings.create(id);
      const { session, grant: opened } = await openSession(this.ctx.deps, this.ctx.alerts, {
        ...request,
        kind: 'exec',
        justification: this.env[JUSTIFICATION_ENV] ?? '',
        owner: this.ctx.owner,
        id,
        recording: writer.ref,
      });
      const recorder = new AsciicastRecorder(
        writer,
        {
          width: this.pty?.cols ?? 80,
          height: this.pty?.rows ?? 24,
          timestamp: Math.floor(session.startedAt.getTime() / 1000),
          title: `${session.changeCode} ${session.device} ${session.user}: ${title}`,
          ...(this.pty ? { env: { TERM: this.pty.term } } : {}),
        },
        (error) => this.ctx.logger.error({ err: error, session: id }, 'recording write failed'),
      );
      const live = newLiveSession({ session, group: opened.change.group, interruptAttempts: new Map() }, opened.change);
      return { client, live, recorder };
    } catch (error) {
      upstream?.end();
      this.failed(channel, error, withPty);
      return undefined;
    }
  }

  /** `user+CHG-42+web01` names it; otherwise a menu of what is open to the user now. */
  private async chooseTarget(channel: ServerChannel, typed: TerminalLineReader, login: LoginName): Promise<{ changeCode: string; device: string } | null> {
    if (login.changeCode !== undefined && login.device !== undefined) return { changeCode: login.changeCode, device: login.device };
    const targets = await listSessionTargets(this.ctx.deps, login.user, login.changeCode);
    if (targets.length === 0) {
      const what = login.changeCode ? `${login.changeCode} is not open to you right now` : 'no approved change in its window is open to you right now';
      channel.write(`changeguard: ${what}\r\n`);
      return null;
    }
    if (targets.length === 1 && login.changeCode !== undefined) return { changeCode: targets[0]!.change.code, device: targets[0]!.device };
    channel.write(`Changes and servers open to ${login.user} now:\r\n`);
    targets.forEach((target, index) => {
      const title = target.change.title.replace(/[\u0000-\u001f\u007f]/g, ' ');
      channel.write(`  ${index + 1}) ${target.change.code}  ${target.device}  ${title} (until ${target.change.windowEnd.toISOString()})\r\n`);
    });
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const answer = (await typed.read(`Choose 1-${targets.length}: `, { maxLength: 6 })).trim();
      const choice = /^\d+$/.test(answer) ? targets[Number(answer) - 1] : undefined;
      if (choice) return { changeCode: choice.change.code, device: choice.device };
      channel.write(`changeguard: "${answer}" is not one of 1-${targets.length}\r\n`);
    }
    return null;
  }

  private async askJustification(channel: ServerChannel, typed: TerminalLineReader, grant: SessionGrant): Promise<string> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const answer = await typed.read(`Justification for ${grant.change.code} on ${grant.device.id}: `);
      const parsed = justificationSchema.safeParse(answer);
      if (parsed.success) return parsed.data;
      channel.write(`changeguard: ${parsed.error.issues[0]?.message ?? 'invalid justification'}\r\n`);
    }
    throw new ServiceError('invalid', 'no valid justification given');
  }

  /** `channel`: the user's session channel, whose output a relay turn coalesces (relayTurns). */
  private async connect(request: { user: string; changeCode: string; device: string; clientAddress: string }, grant: SessionGrant, channel: ServerChannel) {
    try {
      const upstream = await connectUpstream(grant.device, { readyTimeoutMs: this.ctx.settings.upstreamReadyTimeoutMs });
      const sockets = [socketOf(this.client), socketOf(upstream)].filter((socket) => socket !== undefined);
      if (sockets.length === 2) {
        const turns = oneWritePerRelayTurn(sockets);
        turns.coalesce(channel);
        turns.coalesce(channel.stderr);
      }
      return upstream;
    } catch (error) {
      const failure = error instanceof UpstreamError ? error : new UpstreamError(`cannot reach ${grant.device.id}: ${(error as Error).message}`);
      await recordUpstreamFailure(this.ctx.deps, this.ctx.alerts, request, grant, { message: failure.message, hostKey: failure.hostKey });
      throw failure;
    }
  }

  private failed(channel: ServerChannel, error: unknown, withPty: boolean): void {
    if (error instanceof PromptCancelled) return this.close(channel, 1);
    if (error instanceof ServiceError || error instanceof UpstreamError) return this.reject(channel, error.message, withPty);
    if (isStoreUnavailable(error)) {
      this.ctx.logger.error({ err: error }, 'session refused: store unreachable');
      return this.reject(channel, STORE_OUTAGE_REFUSAL, withPty);
    }
    this.ctx.logger.error({ err: error, client: this.address }, 'session set-up failed');
    this.reject(channel, 'the session could not be set up (see the changeguard log)', withPty);
  }

  /** One line saying why, then the channel closes with status 1. */
  private reject(channel: ServerChannel, message: string, withPty: boolean): void {
    const line = `changeguard: ${message}`;
    if (withPty) channel.write(`${line}\r\n`);
    else channel.stderr.write(`${line}\n`);
    this.close(channel, 1);
  }

  private close(channel: ServerChannel, status: number): void {
    if (!channel.writable) return;
    channel.exit(status);
    channel.end();
  }

  /** sftp where the policy allows file transfers; any other subsystem, and sftp otherwise, is refused. */
  private async runSubsystem(channel: ServerChannel, name: string): Promise<void> {
    let transfersAllowed = false;
    try {
      transfersAllowed = (await this.ctx.deps.policies.current()).policy.settings.fileTransfer === 'allow';
    } catch (error) {
      this.ctx.logger.error({ err: error }, 'reading the policy for a subsystem request failed');
    }
    if (name === 'sftp' && transfersAllowed && !this.refuseForOutage) return this.runSftp(channel);
    channel.once('close', () => this.client.end());
    this.refused('subsystem', name);
    const why = name === 'sftp' ? 'file transfer through changeguard is off (the policy\'s settings.fileTransfer)' : 'every command must pass a judged prompt';
    channel.stderr.write(`changeguard: the ${name} subsystem is not available through changeguard: ${why}\n`);
    this.close(channel, 1);
  }

  private refused(what: string, detail: string): void {
    const user = this.login?.user ?? 'unknown';
    this.ctx.logger.info({ client: this.address, user, what, detail }, 'forwarding refused');
    this.ctx.deps.audit
      .record(
        { userId: user, terminal: `proxy ${this.address}` },
        { status: 'D', eventType: 'FORWARD', class: 'SESSION', object: detail || what, details: `${what} refused: it would bypass command rules` },
      )
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'audit of a refused forwarding failed'));
  }

  private passedEnv(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.env).filter(([key]) => PASSED_ENV.test(key)));
  }
}
