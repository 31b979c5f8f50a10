import express from 'express';
import type { Server } from 'node:http';

export interface RecordedCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  /** The bearer token the client authenticated with. */
  readonly token: string | undefined;
  /** The HTTP status the fake answered with. */
  readonly status: number;
  readonly at: number;
}

export interface RecordedResponse {
  readonly id: string;
  readonly body: Record<string, unknown>;
  readonly at: number;
}

/** What the next call of a method gets instead of success. */
export type ScriptedFailure = { readonly status: 429; readonly retryAfter: number } | { readonly status: 500 } | { readonly error: string };

/**
 * A local Slack Web API (`SLACK_API_URL`): records every call, answers like Slack (ts,
 * DM channel ids, view ids) and can be told to fail the next calls of a method with a
 * 429 + Retry-After, a 500, or a Slack error. Also receives `response_url` posts.
 */
export class FakeSlackApi {
  readonly calls: RecordedCall[] = [];
  readonly responses: RecordedResponse[] = [];
  private readonly failures = new Map<string, ScriptedFailure[]>();
  /** Every call (any method) gets this until it is cleared: an outage rather than a blip. */
  private outage: ScriptedFailure | undefined;
  private sequence = 0;
  /** What apps.connections.open hands out (a FakeSocketModeServer's URL). */
  socketModeUrl: string | undefined;
  /**
   * Where `openid.connect.*` calls go (a FakeSlackOpenId's API URL): a product process has one
   * SLACK_API_URL for the bot and for Sign in with Slack, as it has with the real Slack.
   */
  openIdApiUrl: string | undefined;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<FakeSlackApi> {
    const app = express();
    app.use(express.urlencoded({ extended: false, limit: '5mb' }));
    app.use(express.json({ limit: '5mb' }));
    let fake: FakeSlackApi | undefined;
    app.post('/api/:method', (req, res, next) => {
      const method = String(req.params.method);
      if (method.startsWith('openid.') && fake!.openIdApiUrl) {
        fake!.forwardOpenId(method, req.body as Record<string, string>, req.get('authorization')).then((answer) => res.status(answer.status).type('json').send(answer.body), next);
        return;
      }
      fake!.answer(method, req.body as Record<string, string>, /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1], res);
    });
    app.post('/respond/:id', (req, res) => {
      fake!.responses.push({ id: String(req.params.id), body: req.body as Record<string, unknown>, at: Date.now() });
      res.json({ ok: true });
    });
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    fake = new FakeSlackApi(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** For SLACK_API_URL / slackApiUrl. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.baseUrl}/respond/${id}`;
  }

  failNext(method: string, ...failures: ScriptedFailure[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...failures]);
  }

  /** Fails every call with `failure` until `failEverything(undefined)`. */
  failEverything(failure: ScriptedFailure | undefined): void {
    this.outage = failure;
  }

  /** Stops listening and drops open connections: clients get "connection refused". */
  async refuseConnections(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port after refuseConnections(). */
  async acceptConnections(): Promise<void> {
    const port = Number(new URL(this.baseUrl).port);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
  }

  callsTo(method: string, status = 200): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.status === status);
  }

  responsesTo(id: string): RecordedResponse[] {
    return this.responses.filter((r) => r.id === id);
  }

  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.failures.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forwardOpenId(method: string, body: Record<string, string>, authorization: string | undefined): Promise<{ status: number; body: string }> {
    const response = await fetch(`${this.openIdApiUrl}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: new URLSearchParams(body),
    });
    return { status: response.status, body: await response.text() };
  }

  private answer(method: string, body: Record<string, string>, token: string | undefined, res: express.Response): void {
    const args = Object.fromEntries(Object.entries(body).map(([key, value]) => [key, decode(value)]));
    const failure = this.outage ?? this.failures.get(method)?.shift();
    if (failure && 'status' in failure) {
      this.calls.push({ method, args, token, status: failure.status, at: Date.now() });
      if (failure.status === 429) res.set('Retry-After', String(failure.retryAfter));
      res.status(failure.status).send(failure.status === 429 ? 'ratelimited' : 'boom');
      return;
    }
    this.calls.push({ method, args, token, status: 200, at: Date.now() });
    if (failure) {
      res.json({ ok: false, error: failure.error });
      return;
    }
    res.json(this.success(method, args));
  }

  private success(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const ts = () => `${Math.floor(Date.now() / 1000)}.${String(++this.sequence).padStart(6, '0')}`;
    const channel = typeof args.channel === 'string' ? args.channel : '';
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'changeguard', team_id: 'T01TEAM', user_id: 'U0BOT', bot_id: 'B0BOT' };
      case 'apps.connections.open':
        return this.socketModeUrl ? { ok: true, url: this.socketModeUrl } : { ok: false, error: 'invalid_auth' };
      case 'chat.postMessage':
        // Posting to a user id lands in the app's DM with them, which has its own channel id.
        return { ok: true, channel: channel.startsWith('U') ? `D${channel.slice(1)}` : channel, ts: ts(), message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts() };
      case 'views.open':
      case 'views.update':
      case 'views.publish':
        return { ok: true, view: { ...(args.view as object), id: `V${++this.sequence}`, hash: `h${this.sequence}` } };
      default:
        return { ok: true };
    }
  }
}

/** The Web API client sends objects and arrays as JSON inside form fields. */
function decode(value: unknown): unknown {
  if (typeof value !== 'string' || !/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Polls `check` until it returns something truthy, failing with `what` after `ms`. */
export async function eventually<T>(what: string, check: () => T | Promise<T>, ms = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
