import type { App } from '@slack/bolt';
import type { SlackContext } from '../../slackContext.js';
import { handleChangeCommand } from './changeCommand.js';

export function register(app: App, context: SlackContext): void {
  app.command('/change', (args) => handleChangeCommand(context, args));
}
