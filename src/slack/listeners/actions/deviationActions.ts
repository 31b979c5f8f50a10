import { deviationButtonValueSchema } from '../../../notify/interactiveActions.js';
import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import { decideDeviation } from '../../../services/deviations/decideDeviation.js';
import type { SlackContext } from '../../slackContext.js';
import { handleButtonClick, type ButtonArgs } from './buttonClick.js';

/** Allow once, on a deviation request in the change's thread; the service decides who may (an approver, not the user who typed it). */
export function allowDeviationClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, deviationButtonValueSchema, 'allowing the command', async (value, who) => {
    const request = await decideDeviation(context.deps, value.deviation, who.actor, 'allow');
    return `Allowed once: \`${escapeMrkdwn(request.line)}\` runs now in ${escapeMrkdwn(request.requester)}'s session on ${escapeMrkdwn(request.device)}.`;
  });
}

/** Deny, on a deviation request: the command is not run, the user is told. */
export function denyDeviationClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, deviationButtonValueSchema, 'denying the command', async (value, who) => {
    const request = await decideDeviation(context.deps, value.deviation, who.actor, 'deny');
    return `Denied: \`${escapeMrkdwn(request.line)}\` is not run on ${escapeMrkdwn(request.device)}.`;
  });
}
