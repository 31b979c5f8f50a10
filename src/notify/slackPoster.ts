import { LogLevel, WebClient, type Block, type KnownBlock } from '@slack/web-api';
import type { SlackMessageContent } from './slackTemplates.js';

/** The two Web API calls the outbox makes; an interface so the worker can be driven without Slack. */
export interface SlackPoster {
  postMessage(message: SlackMessageContent & { channel: string; threadTs?: string | undefined }): Promise<{ channel: string; ts: string }>;
  updateMessage(message: SlackMessageContent & { channel: string; ts: string }): Promise<void>;
}

/**
 * A Web API client for the outbox: it never retries or waits on its own (the outbox owns
 * retries, persistently, and honours Retry-After itself), and gives up on a hung call.
 */
export function createOutboxWebClient(token: string, apiUrl: string | undefined): WebClient {
  return new WebClient(token, {
    ...(apiUrl !== undefined && { slackApiUrl: apiUrl }),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    // The worker logs every failed attempt itself (JSON, LOG_LEVEL); the client's own console
    // warnings would repeat each one outside the log.
    logLevel: LogLevel.ERROR,
  });
}

export class WebApiSlackPoster implements SlackPoster {
  constructor(private readonly client: WebClient) {}

  async postMessage(message: SlackMessageContent & { channel: string; threadTs?: string | undefined }): Promise<{ channel: string; ts: string }> {
    const result = await this.client.chat.postMessage({
      channel: message.channel,
      text: message.text,
      blocks: message.blocks as unknown as (Block | KnownBlock)[],
      ...(message.threadTs !== undefined && { thread_ts: message.threadTs }),
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!result.ts || !result.channel) throw new Error('chat.postMessage answered without channel and ts');
    return { channel: result.channel, ts: result.ts };
  }

  async updateMessage(message: SlackMessageContent & { channel: string; ts: string }): Promise<void> {
    await this.client.chat.update({
      channel: message.channel,
      ts: message.ts,
      text: message.text,
      blocks: message.blocks as unknown as (Block | KnownBlock)[],
    });
  }
}
