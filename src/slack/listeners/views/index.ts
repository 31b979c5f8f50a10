import type { App, ViewSubmitAction } from '@slack/bolt';
import type { SlackContext } from '../../slackContext.js';
import { NEW_CHANGE_CALLBACK_ID } from '../../views/newChangeModal.js';
import { REJECT_CALLBACK_ID } from '../../views/rejectModal.js';
import { newChangeSubmitted } from './newChangeSubmitted.js';
import { rejectSubmitted } from './rejectSubmitted.js';

export function register(app: App, context: SlackContext): void {
  app.view<ViewSubmitAction>(NEW_CHANGE_CALLBACK_ID, (args) => newChangeSubmitted(context, args));
  app.view<ViewSubmitAction>(REJECT_CALLBACK_ID, (args) => rejectSubmitted(context, args));
}
