import type { App } from '@slack/bolt';
import type { SlackContext } from '../../slackContext.js';
import { appHomeOpened } from './appHomeOpened.js';

export function register(app: App, context: SlackContext): void {
  app.event('app_home_opened', (args) => appHomeOpened(context, args));
}
