import { createHmac } from 'node:crypto';

/** Slack's v0 request signature: HMAC-SHA256 over `v0:<timestamp>:<raw body>`. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedPost {
  readonly secret: string;
  /** Seconds; default now. */
  readonly timestamp?: number | undefined;
  /** Sign with this secret instead (a forged request). */
  readonly signWith?: string | undefined;
}

async function post(url: string, body: string, contentType: string, options: SignedPost): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(options.signWith ?? options.secret, timestamp, body),
    },
    body,
  });
}

/** A slash command as Slack sends it (form-encoded). */
export function postSlashCommand(url: string, fields: Record<string, string>, options: SignedPost): Promise<Response> {
  return post(url, new URLSearchParams({ command: '/change', team_id: 'T01TEAM', api_app_id: 'A01APP', token: 'legacy', ...fields }).toString(), 'application/x-www-form-urlencoded', options);
}

/** block_actions and view_submission: a JSON `payload` field, form-encoded. */
export function postInteraction(url: string, payload: Record<string, unknown>, options: SignedPost): Promise<Response> {
  return post(url, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', options);
}

/** Events API callbacks are JSON bodies. */
export function postEvent(url: string, event: Record<string, unknown>, options: SignedPost): Promise<Response> {
  const body = JSON.stringify({ type: 'event_callback', team_id: 'T01TEAM', api_app_id: 'A01APP', event_id: `Ev${Date.now()}`, event_time: Math.floor(Date.now() / 1000), token: 'legacy', event });
  return post(url, body, 'application/json', options);
}
