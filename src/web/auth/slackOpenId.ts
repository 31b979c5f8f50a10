import { z } from 'zod';

export const SLACK_AUTHORIZE_URL = 'https://slack.com/openid/connect/authorize';
export const SLACK_API_URL = 'https://slack.com/api';

export interface SlackOpenIdSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Base of `openid.connect.token` and `openid.connect.userInfo` (SLACK_API_URL). */
  readonly apiUrl?: string | undefined;
  /** Where browsers are sent to sign in; a local fake in tests. */
  readonly authorizeUrl?: string | undefined;
}

export class SlackSignInError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackSignInError';
  }
}

const tokenResponse = z.union([
  z.object({ ok: z.literal(true), access_token: z.string().min(1), id_token: z.string().min(1) }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

const idTokenClaims = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  sub: z.string(),
  exp: z.number(),
  nonce: z.string().optional(),
  'https://slack.com/user_id': z.string(),
  'https://slack.com/team_id': z.string().optional(),
});

const userInfoResponse = z.union([
  z.object({ ok: z.literal(true), sub: z.string(), 'https://slack.com/user_id': z.string(), 'https://slack.com/team_id': z.string().optional() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Sign in with Slack (OpenID Connect, authorization code flow, confidential client). The ID
 * token arrives over TLS straight from Slack's token endpoint in exchange for the client
 * secret, so (OIDC Core 3.1.3.7) its issuer, audience, expiry and nonce are checked without
 * fetching signing keys; userInfo, asked with the access token, must name the same user.
 */
export class SlackOpenIdClient {
  private readonly apiUrl: string;
  private readonly authorizeUrl: string;

  constructor(
    private readonly settings: SlackOpenIdSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.apiUrl = (settings.apiUrl ?? SLACK_API_URL).replace(/\/+$/, '');
    this.authorizeUrl = settings.authorizeUrl ?? SLACK_AUTHORIZE_URL;
  }

  authorizationUrl(request: { state: string; nonce: string; redirectUri: string }): string {
    const url = new URL(this.authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      // openid alone carries the Slack user and team ids, which is all changeguard needs.
      scope: 'openid',
      client_id: this.settings.clientId,
      state: request.state,
      nonce: request.nonce,
      redirect_uri: request.redirectUri,
    }).toString();
    return url.toString();
  }

  /** Exchanges the code from the callback for the Slack user (and workspace) it signs in. */
  async identify(request: { code: string; redirectUri: string; nonce: string }): Promise<{ slackUserId: string; teamId: string | undefined }> {
    const token = tokenResponse.safeParse(
      await this.call('openid.connect.token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: this.settings.clientId,
          client_secret: this.settings.clientSecret,
          code: request.code,
          redirect_uri: request.redirectUri,
          grant_type: 'authorization_code',
        }).toString(),
      }),
    );
    if (!token.success) throw new SlackSignInError('Slack answered the token request with something unexpected');
    if (!token.data.ok) throw new SlackSignInError(`Slack refused the sign-in: ${token.data.error}`);
    const claims = this.checkIdToken(token.data.id_token, request.nonce);

    const info = userInfoResponse.safeParse(
      await this.call('openid.connect.userInfo', { method: 'POST', headers: { authorization: `Bearer ${token.data.access_token}` } }),
    );
    if (!info.success) throw new SlackSignInError('Slack answered the userInfo request with something unexpected');
    if (!info.data.ok) throw new SlackSignInError(`Slack refused the userInfo request: ${info.data.error}`);
    if (info.data.sub !== claims.sub || info.data['https://slack.com/user_id'] !== claims['https://slack.com/user_id']) {
      throw new SlackSignInError('Slack named different users in the ID token and in userInfo');
    }
    return { slackUserId: claims['https://slack.com/user_id'], teamId: claims['https://slack.com/team_id'] };
  }

  private checkIdToken(idToken: string, nonce: string): z.output<typeof idTokenClaims> {
    const payload = idToken.split('.')[1];
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    } catch {
      throw new SlackSignInError('the ID token from Slack is not readable');
    }
    const parsed = idTokenClaims.safeParse(decoded);
    if (!parsed.success) throw new SlackSignInError('the ID token from Slack lacks the expected claims');
    const claims = parsed.data;
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== 'https://slack.com') throw new SlackSignInError(`the ID token was issued by ${claims.iss}, not https://slack.com`);
    if (!audiences.includes(this.settings.clientId)) throw new SlackSignInError('the ID token was issued to another app');
    if (claims.exp * 1000 <= this.now().getTime()) throw new SlackSignInError('the ID token from Slack has expired');
    if (claims.nonce !== nonce) throw new SlackSignInError('the ID token does not answer this sign-in (nonce mismatch)');
    return claims;
  }

  private async call(method: string, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}/${method}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new SlackSignInError(`cannot reach Slack (${method}): ${(error as Error).message}`);
    }
    if (!response.ok) throw new SlackSignInError(`Slack answered ${method} with HTTP ${response.status}`);
    return response.json().catch(() => {
      throw new SlackSignInError(`Slack answered ${method} with something that is not JSON`);
    });
  }
}
