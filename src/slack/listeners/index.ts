import type { App } from '@slack/bolt';
import type { SlackContext } from '../slackContext.js';
import * as actions from './actions/index.js';
import * as commands from './commands/index.js';
import * as events from './events/index.js';
import * as views from './views/index.js';

export function registerListeners(app: App, context: SlackContext): void {
  commands.register(app, context);
  actions.register(app, context);
  views.register(app, context);
  events.register(app, context);
}
