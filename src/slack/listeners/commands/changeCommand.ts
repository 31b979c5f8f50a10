import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { unsafeTextProblem } from '../../../domain/validation/unsafeText.js';
import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import { describeFailure } from '../../describeFailure.js';
import { actorFromSlack, UNMAPPED_USER_MESSAGE } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';
import { cancelOwnChange, listChanges, revokeApprovedChange, showChange, summariseAudit, validateScript } from './changeCommands.js';
import type { CommandRequest, SubcommandHandler } from './commandRequest.js';
import { HELP_TEXT } from './helpText.js';
import { manageKeys } from './keyCommand.js';
import { openNewChangeForm } from './newChangeCommand.js';
import { reportPeriod } from './reportCommand.js';
import { searchCommandsCommand } from './searchCommand.js';

/** `/change <subcommand>`: every subcommand, by name. */
export const SUBCOMMANDS: Readonly<Record<string, SubcommandHandler>> = {
  new: openNewChangeForm,
  list: listChanges,
  show: showChange,
  cancel: cancelOwnChange,
  revoke: revokeApprovedChange,
  validate: validateScript,
  audit: summariseAudit,
  report: reportPeriod,
  key: manageKeys,
  search: searchCommandsCommand,
};

/**
 * Acknowledged at once (Slack allows 3 s; the work may take longer), then answered
 * ephemerally through the response URL: only the person who typed it sees the answer.
 */
export async function handleChangeCommand(context: SlackContext, args: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
  await args.ack();
  const { command } = args;
  const reply: CommandRequest['reply'] = async (message) => {
    await args.respond({ response_type: 'ephemeral', ...message });
  };
  // Slack sends `&`, `<` and `>` typed in a command as entities; reasons and keys are kept as typed.
  const text = command.text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();
  // Echoed back, such characters would garble the answer (an RTL override turns it around).
  const unsafe = unsafeTextProblem(text, { multiline: true });
  if (unsafe) {
    await reply({ text: `The command ${unsafe}; nothing was done. Retype it without that character.` });
    return;
  }
  const [name = 'help', ...words] = text.split(/\s+/).filter(Boolean);
  const subcommand = name.toLowerCase();
  if (subcommand === 'help') {
    await reply({ text: HELP_TEXT });
    return;
  }
  const handler = SUBCOMMANDS[subcommand];
  if (!handler) {
    await reply({ text: `Unknown subcommand "${escapeMrkdwn(name.slice(0, 40))}". Try \`/change help\`.` });
    return;
  }
  try {
    const who = await actorFromSlack(context, command.user_id);
    if (!who) {
      await reply({ text: UNMAPPED_USER_MESSAGE });
      return;
    }
    await handler({
      context,
      who,
      args: words,
      rest: text.slice(name.length).trim(),
      triggerId: command.trigger_id,
      client: args.client,
      reply,
    });
  } catch (error) {
    await reply({ text: describeFailure(error, context.logger, `/change ${subcommand}`) });
  }
}
