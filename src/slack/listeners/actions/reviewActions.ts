import { reviewButtonValueSchema } from '../../../notify/interactiveActions.js';
import { approveChange } from '../../../services/changes/reviewChange.js';
import { loadChange } from '../../../services/changes/changeWriter.js';
import type { SlackContext } from '../../slackContext.js';
import { rejectModal } from '../../views/rejectModal.js';
import { handleButtonClick, type ButtonArgs } from './buttonClick.js';

/**
 * Approve: bound to the script hash the message showed, so an approval never covers a script
 * the approver did not see. The service refuses the requester (four-eyes), a second click,
 * a stale copy and the loser of two simultaneous clicks; each gets one ephemeral line.
 */
export function approveClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, reviewButtonValueSchema, 'approving', async (value, who) => {
    const outcome = await approveChange(context.deps, value.code, who.actor, { seenScriptHash: value.scriptHash });
    const count = outcome.change.approvals.filter((a) => a.scriptHash === outcome.change.scriptHash).length;
    return outcome.approved
      ? `You approved ${outcome.change.code}: it is approved.`
      : `You approved ${outcome.change.code} (${count} of ${outcome.approvalsNeeded}).`;
  });
}

/** Reject: opens a form asking why (a rejection is final and carries its reason). */
export function rejectClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, reviewButtonValueSchema, 'opening the rejection form', async (value) => {
    const change = await loadChange(context.deps, value.code);
    if (change.status !== 'pending_approval') return `${change.code} is ${change.status.replace(/_/g, ' ')}, not pending approval.`;
    await args.client.views.open({ trigger_id: args.body.trigger_id, view: rejectModal(change.code, change.title) });
    return undefined;
  });
}
