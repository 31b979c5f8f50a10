import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { ACTION_IDS } from '../../../notify/interactiveActions.js';
import type { SlackContext } from '../../slackContext.js';
import { NEW_CHANGE_GROUP_ACTION_ID } from '../../views/newChangeModal.js';
import { allowDeviationClicked, denyDeviationClicked } from './deviationActions.js';
import { newChangeGroupSelected } from './newChangeGroupSelected.js';
import { approveClicked, rejectClicked } from './reviewActions.js';
import { lockUserClicked, terminateSessionClicked, unlockUserClicked } from './securityActions.js';

export function register(app: App, context: SlackContext): void {
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.approve, (args) => approveClicked(context, args));
  // The link opens the web page in the browser; Slack reports the click too, and wants an ack.
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.approveOnWeb, async ({ ack }) => ack());
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.reject, (args) => rejectClicked(context, args));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.terminateSession, (args) => terminateSessionClicked(context, args));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.lockUser, (args) => lockUserClicked(context, args));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.unlockUser, (args) => unlockUserClicked(context, args));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.allowDeviation, (args) => allowDeviationClicked(context, args));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.denyDeviation, (args) => denyDeviationClicked(context, args));
  app.action<BlockAction<StaticSelectAction>>(NEW_CHANGE_GROUP_ACTION_ID, (args) => newChangeGroupSelected(context, args));
}
