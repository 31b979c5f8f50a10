import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { reviewButtonValueSchema, type ReviewButtonValue } from '../../../notify/interactiveActions.js';
import { approveChange } from '../../../services/changes/reviewChange.js';
import { loadChange } from '../../../services/changes/changeWriter.js';
import { describeFailure } from '../../describeFailure.js';
import { actorFromSlack, UNMAPPED_USER_MESSAGE } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';
import { rejectModal } from '../../views/rejectModal.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** A one-line answer only the clicker sees; the message they clicked stays as it is. */
export function ephemeral(args: ButtonArgs, text: string): Promise<unknown> {
  return args.respond({ response_type: 'ephemeral', replace_original: false, text });
}

function buttonValue(args: ButtonArgs): ReviewButtonValue | null {
  try {
    const parsed = reviewButtonValueSchema.safeParse(JSON.parse(args.action.value ?? ''));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Approve: bound to the script hash the message showed, so an approval never covers a script
 * the approver did not see. The service refuses the requester (four-eyes), a second click,
 * a stale copy and the loser of two simultaneous clicks; each gets one ephemeral line.
 */
export async function approveClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  await args.ack();
  const value = buttonValue(args);
  if (!value) {
    await ephemeral(args, 'This button is not one changeguard made; nothing was done.');
    return;
  }
  try {
    const who = await actorFromSlack(context, args.body.user.id);
    if (!who) {
      await ephemeral(args, UNMAPPED_USER_MESSAGE);
      return;
    }
    const outcome = await approveChange(context.deps, value.code, who.actor, { seenScriptHash: value.scriptHash });
    const count = outcome.change.approvals.filter((a) => a.scriptHash === outcome.change.scriptHash).length;
    await ephemeral(
      args,
      outcome.approved ? `You approved ${outcome.change.code}: it is approved.` : `You approved ${outcome.change.code} (${count} of ${outcome.approvalsNeeded}).`,
    );
  } catch (error) {
    await ephemeral(args, describeFailure(error, context.logger, 'approving'));
  }
}

/** Reject: opens a form asking why (a rejection is final and carries its reason). */
export async function rejectClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  await args.ack();
  const value = buttonValue(args);
  if (!value) {
    await ephemeral(args, 'This button is not one changeguard made; nothing was done.');
    return;
  }
  try {
    const who = await actorFromSlack(context, args.body.user.id);
    if (!who) {
      await ephemeral(args, UNMAPPED_USER_MESSAGE);
      return;
    }
    const change = await loadChange(context.deps, value.code);
    if (change.status !== 'pending_approval') {
      await ephemeral(args, `${change.code} is ${change.status.replace(/_/g, ' ')}, not pending approval.`);
      return;
    }
    await args.client.views.open({ trigger_id: args.body.trigger_id, view: rejectModal(change.code, change.title) });
  } catch (error) {
    await ephemeral(args, describeFailure(error, context.logger, 'opening the rejection form'));
  }
}
