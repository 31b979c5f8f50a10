import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { findChangeConflicts } from '../../../services/changes/changeConflicts.js';
import { registerChange } from '../../../services/changes/registerChange.js';
import { ServiceError } from '../../../services/serviceError.js';
import { actorFromSlack, UNMAPPED_USER_MESSAGE } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';
import { filedChangeView } from '../../views/filedChangeView.js';
import { modalErrors, NEW_CHANGE_BLOCKS, readNewChangeSubmission } from '../../views/newChangeModal.js';

export type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * Files the change before acknowledging: field errors (due before start, window in the past,
 * duplicate code, empty or oversize script, server outside the group) must come back in the
 * acknowledgement to show on the form. Filing is one local write, well inside Slack's 3 s;
 * the messages to approvers go out afterwards through the outbox.
 */
export async function newChangeSubmitted(context: SlackContext, args: SubmitArgs): Promise<void> {
  const { view, body } = args;
  const submission = readNewChangeSubmission(view.state.values, view.private_metadata);
  const who = await actorFromSlack(context, body.user.id);
  if (!who) {
    await args.ack({ response_action: 'errors', errors: { [NEW_CHANGE_BLOCKS.title]: UNMAPPED_USER_MESSAGE } });
    return;
  }
  try {
    const change = await registerChange(
      context.deps,
      {
        code: submission.code,
        title: submission.title,
        description: submission.description,
        group: submission.group,
        devices: submission.devices,
        executors: submission.executors,
        script: submission.script,
        windowStart: submission.windowStart ?? new Date(Number.NaN),
        windowEnd: submission.windowEnd ?? new Date(Number.NaN),
        emergency: submission.emergency,
      },
      who.actor,
    );
    // Filed either way; the requester is warned in the answer of overlapping changes and of a freeze.
    const conflicts = await findChangeConflicts(context.deps, change).catch((error: unknown) => {
      context.logger.warn({ err: error, change: change.code }, 'could not look for overlapping changes');
      return null;
    });
    if (conflicts && (conflicts.collisions.length > 0 || conflicts.freezes.length > 0)) {
      await args.ack({ response_action: 'update', view: filedChangeView(change, conflicts, context.webLinks, (await context.deps.policies.current()).policy.settings.timezone) });
      return;
    }
    await args.ack({ response_action: 'clear' });
  } catch (error) {
    if (error instanceof ServiceError) {
      const fields = Object.keys(error.fields).length > 0 ? error.fields : { title: error.message };
      await args.ack({ response_action: 'errors', errors: modalErrors(fields, submission.devicesBlock) });
      return;
    }
    context.logger.error({ err: error }, 'filing a change from Slack failed');
    await args.ack({ response_action: 'errors', errors: { [NEW_CHANGE_BLOCKS.title]: 'Filing failed on our side; it has been logged. Try again.' } });
  }
}
