import { ErrorCode } from '@slack/web-api';

export type DeliveryErrorClass =
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number; readonly message: string }
  | { readonly kind: 'transient'; readonly message: string }
  | { readonly kind: 'permanent'; readonly message: string; readonly slackError?: string | undefined };

/**
 * Slack errors that no retry can fix: the message goes to `failed` at once (still listed on
 * the web page). Anything else (outages, timeouts, a revoked token an admin will replace)
 * is retried with backoff.
 */
const PERMANENT_PLATFORM_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'no_text',
  'too_many_attachments',
  'cant_update_message',
  'message_not_found',
  'edit_window_closed',
  'user_not_found',
  'user_disabled',
  'restricted_action',
  'invalid_arguments',
  'cannot_dm_bot',
]);

export function classifyDeliveryError(error: unknown): DeliveryErrorClass {
  const coded = error as { code?: unknown; retryAfter?: unknown; data?: { error?: unknown }; statusCode?: unknown; message?: unknown } | null;
  const message = typeof coded?.message === 'string' ? coded.message : String(error);
  if (coded?.code === ErrorCode.RateLimitedError && typeof coded.retryAfter === 'number') {
    return { kind: 'rate_limited', retryAfterMs: Math.max(0, coded.retryAfter) * 1000, message: `rate limited (HTTP 429), Retry-After ${coded.retryAfter} s` };
  }
  if (coded?.code === ErrorCode.PlatformError && typeof coded.data?.error === 'string') {
    const slackError = coded.data.error;
    if (PERMANENT_PLATFORM_ERRORS.has(slackError)) return { kind: 'permanent', message: `Slack refused it: ${slackError}`, slackError };
    return { kind: 'transient', message: `Slack error: ${slackError}` };
  }
  if (coded?.code === ErrorCode.HTTPError && typeof coded.statusCode === 'number') {
    return { kind: 'transient', message: `Slack answered HTTP ${coded.statusCode}` };
  }
  return { kind: 'transient', message };
}
