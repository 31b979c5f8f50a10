import type { WebClient } from './webClient.js';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface FakeSlackOpenId {
  /** SLACK_API_URL for the client (`.../api`). */
  readonly apiUrl: string;
  readonly authorizeUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The Slack user the next sign-in is for (what the person would do on Slack's page). */
  signInAs: string;
  /** Tampering for negative tests. */
  tamper: { nonce?: string; audience?: string; userInfoUser?: string } | undefined;
  readonly requests: string[];
  close(): Promise<void>;
}

interface Grant {
  readonly nonce: string;
  readonly redirectUri: string;
  readonly user: string;
}

/**
 * Slack's OpenID Connect endpoints, faked on 127.0.0.1: the authorize page signs the chosen
 * user in at once and redirects back with a code; the token and userInfo methods answer as
 * Slack's Web API does (`ok: true|false`), checking the client secret and the code.
 */
export async function startFakeSlackOpenId(): Promise<FakeSlackOpenId> {
  const clientId = '1111111111.2222222222';
  const clientSecret = randomBytes(8).toString('hex');
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, string>();
  const requests: string[] = [];
  const jwt = (claims: object) =>
    [{ alg: 'RS256', typ: 'JWT' }, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2lnbmF0dXJl';

  const fake: FakeSlackOpenId = {
    apiUrl: '',
    authorizeUrl: '',
    clientId,
    clientSecret,
    signInAs: 'U01BOB',
    tamper: undefined,
    requests,
    close: async () => undefined,
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const json = (value: object) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'GET' && url.pathname === '/openid/connect/authorize') {
        const q = url.searchParams;
        if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || !q.get('scope')?.split(' ').includes('openid')) {
          res.writeHead(400).end('bad authorize request');
          return;
        }
        const code = randomBytes(8).toString('hex');
        grants.set(code, { nonce: q.get('nonce') ?? '', redirectUri: q.get('redirect_uri') ?? '', user: fake.signInAs });
        const back = new URL(q.get('redirect_uri') ?? '');
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: back.toString() }).end();
        return;
      }
      if (req.method === 'POST' && url.pathname === '/api/openid.connect.token') {
        const form = new URLSearchParams(body);
        const grant = grants.get(form.get('code') ?? '');
        if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return json({ ok: false, error: 'invalid_client_id' });
        if (!grant || grant.redirectUri !== form.get('redirect_uri')) return json({ ok: false, error: 'invalid_code' });
        grants.delete(form.get('code') ?? '');
        const accessToken = `xoxp-${randomBytes(8).toString('hex')}`;
        tokens.set(accessToken, grant.user);
        return json({
          ok: true,
          access_token: accessToken,
          token_type: 'Bearer',
          id_token: jwt({
            iss: 'https://slack.com',
            sub: grant.user,
            aud: fake.tamper?.audience ?? clientId,
            exp: Math.floor(Date.now() / 1000) + 3600,
            iat: Math.floor(Date.now() / 1000),
            nonce: fake.tamper?.nonce ?? grant.nonce,
            'https://slack.com/user_id': grant.user,
            'https://slack.com/team_id': 'T01TEAM',
          }),
        });
      }
      if (req.method === 'POST' && url.pathname === '/api/openid.connect.userInfo') {
        const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
        if (!user) return json({ ok: false, error: 'invalid_auth' });
        const named = fake.tamper?.userInfoUser ?? user;
        return json({ ok: true, sub: named, 'https://slack.com/user_id': named, 'https://slack.com/team_id': 'T01TEAM' });
      }
      res.writeHead(404).end('not found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  Object.assign(fake, {
    apiUrl: `${base}/api/`,
    authorizeUrl: `${base}/openid/connect/authorize`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return fake;
}

/**
 * Sign in with Slack on a real product process, whose authorize URL is Slack's own: the
 * browser's trip to slack.com is made to this fake instead (same query), as `slackUser`.
 */
export async function signInWithSlackThrough(openId: FakeSlackOpenId, client: WebClient, slackUser: string, next = '/'): Promise<void> {
  openId.signInAs = slackUser;
  const start = await client.get(`/auth/slack?next=${encodeURIComponent(next)}`);
  if (start.status !== 303) throw new Error(`/auth/slack answered ${start.status}: ${await start.text()}`);
  const atSlack = new URL(openId.authorizeUrl);
  atSlack.search = new URL(start.headers.get('location')!).search;
  const back = await fetch(atSlack, { redirect: 'manual' });
  if (back.status !== 302) throw new Error(`the fake authorize page answered ${back.status}`);
  const callback = new URL(back.headers.get('location')!);
  const done = await client.get(`${callback.pathname}${callback.search}`);
  if (done.status !== 303) throw new Error(`the sign-in callback answered ${done.status}: ${await done.text()}`);
}
