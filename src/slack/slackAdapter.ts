import { App, ExpressReceiver, HTTPModuleFunctions, SocketModeReceiver, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Express } from 'express';
import type { Logger } from '../logger.js';
import { boltLogger } from './boltLogger.js';
import { registerListeners } from './listeners/index.js';
import type { SlackContext } from './slackContext.js';
import { MalformedSlackRequest, slackPayloadProblem } from './slackPayloadCheck.js';

export interface SlackSettings {
  readonly botToken: string;
  readonly signingSecret: string | undefined;
  /** Set: Socket Mode (no public URL needed). Unset: HTTP on `/slack/events`. */
  readonly appToken: string | undefined;
  readonly apiUrl: string | undefined;
}

export interface SlackAdapter {
  readonly mode: 'http' | 'socket';
  readonly app: App;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const SLACK_EVENTS_PATH = '/slack/events';

/** Bolt, refusing (after the signature check) any request whose shape changeguard does not handle. */
class CheckedApp extends App {
  override async processEvent(event: ReceiverEvent): Promise<void> {
    const problem = slackPayloadProblem(event.body);
    if (problem !== null) throw new MalformedSlackRequest(problem);
    return super.processEvent(event);
  }
}

/**
 * The Bolt app. In HTTP mode its receiver is mounted on the product's express app (one port
 * serves the web pages and `/slack/events`); requests with a bad signature or a timestamp
 * older than five minutes are refused with 401 before any listener runs. In Socket Mode
 * Slack connects out-bound over a WebSocket: no public URL is needed.
 */
export function createSlackAdapter(settings: SlackSettings, context: SlackContext, web: Express, logger: Logger): SlackAdapter {
  const log = boltLogger(logger);
  const slackApiUrl = settings.apiUrl === undefined ? undefined : settings.apiUrl.replace(/\/?$/, '/');
  // Listener calls (views.open needs its trigger within 3 s) fail fast instead of retrying for minutes.
  const clientOptions = { ...(slackApiUrl !== undefined && { slackApiUrl }), retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 1000 }, timeout: 5000 };
  let receiver: Receiver;
  let mode: SlackAdapter['mode'];
  if (settings.appToken) {
    mode = 'socket';
    receiver = new SocketModeReceiver({ appToken: settings.appToken, logger: log, installerOptions: { clientOptions } });
  } else {
    if (!settings.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required for Slack over HTTP');
    mode = 'http';
    // Given the product's app, the receiver adds its router to it: POST /slack/events.
    receiver = new ExpressReceiver({
      signingSecret: settings.signingSecret,
      app: web,
      endpoints: SLACK_EVENTS_PATH,
      logger: log,
      processEventErrorHandler: async (args) => {
        if (!(args.error instanceof MalformedSlackRequest) || args.response.headersSent) return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
        logger.warn({ problem: args.error.problem }, 'malformed Slack request refused');
        args.response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        args.response.end(args.error.message);
        return true;
      },
    });
  }
  const app = new CheckedApp({ token: settings.botToken, receiver, logger: log, clientOptions });
  app.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
  });
  registerListeners(app, context);
  return {
    mode,
    app,
    // HTTP mode rides on the product's HTTP server: there is nothing to start or stop here.
    start: async () => {
      if (mode === 'socket') await app.start();
    },
    stop: async () => {
      if (mode === 'socket') await app.stop();
    },
  };
}
