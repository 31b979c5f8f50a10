import { postEvent, postInteraction, postSlashCommand } from './signedSlackRequests.js';

/** What Slack sends on behalf of its users, correctly signed, to one app's events URL. */
export interface SlackUserRequests {
  /** Types `/change <text>` as a Slack user; the answer arrives at the response URL named `responseId`. */
  command(slackUser: string, text: string, responseId?: string): Promise<Response>;
  /** Clicks a button of a message. */
  click(slackUser: string, actionId: string, value: string, responseId?: string, extra?: Record<string, unknown>): Promise<Response>;
  /** Submits a modal. */
  submit(slackUser: string, callbackId: string, values: Record<string, Record<string, unknown>>, privateMetadata?: string): Promise<Response>;
  event(event: Record<string, unknown>): Promise<Response>;
}

/** `responseUrl(id)`: where the app's answer to request `id` goes (a fake Slack's endpoint). */
export function slackUserRequests(eventsUrl: string, signingSecret: string, responseUrl: (id: string) => string): SlackUserRequests {
  const signed = { secret: signingSecret };
  let counter = 0;
  const next = (prefix: string) => `${prefix}-${++counter}`;
  return {
    command: (slackUser, text, responseId = next('cmd')) =>
      postSlashCommand(eventsUrl, { text, user_id: slackUser, user_name: slackUser.toLowerCase(), channel_id: 'C01GENERAL', trigger_id: next('trigger'), response_url: responseUrl(responseId) }, signed),
    click: (slackUser, actionId, value, responseId = next('click'), extra = {}) =>
      postInteraction(
        eventsUrl,
        {
          type: 'block_actions',
          user: { id: slackUser, username: slackUser.toLowerCase(), team_id: 'T01TEAM' },
          team: { id: 'T01TEAM', domain: 'example' },
          api_app_id: 'A01APP',
          token: 'legacy',
          trigger_id: next('trigger'),
          response_url: responseUrl(responseId),
          container: { type: 'message', message_ts: '1.000001', channel_id: 'D01BOB' },
          channel: { id: 'D01BOB', name: 'directmessage' },
          message: { type: 'message', ts: '1.000001', text: 'request' },
          actions: [{ type: 'button', action_id: actionId, block_id: 'change_review', value, action_ts: String(Date.now() / 1000) }],
          ...extra,
        },
        signed,
      ),
    submit: (slackUser, callbackId, values, privateMetadata = '') =>
      postInteraction(
        eventsUrl,
        {
          type: 'view_submission',
          user: { id: slackUser, username: slackUser.toLowerCase(), team_id: 'T01TEAM' },
          team: { id: 'T01TEAM', domain: 'example' },
          api_app_id: 'A01APP',
          token: 'legacy',
          trigger_id: next('trigger'),
          view: { id: next('V'), callback_id: callbackId, private_metadata: privateMetadata, hash: 'h', state: { values }, type: 'modal', blocks: [] },
        },
        signed,
      ),
    event: (event) => postEvent(eventsUrl, event, signed),
  };
}
