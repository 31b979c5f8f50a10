import { rejectChange } from '../../../services/changes/reviewChange.js';
import { ServiceError } from '../../../services/serviceError.js';
import { actorFromSlack, UNMAPPED_USER_MESSAGE } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';
import { readRejectSubmission, REJECT_REASON_BLOCK } from '../../views/rejectModal.js';
import type { SubmitArgs } from './newChangeSubmitted.js';

/** The rejection form: refused rejections (not pending any more, four-eyes) show on the reason. */
export async function rejectSubmitted(context: SlackContext, args: SubmitArgs): Promise<void> {
  const submission = readRejectSubmission(args.view.state.values, args.view.private_metadata);
  const refuse = (message: string) => args.ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: message } });
  if (!submission) {
    await refuse('This form is not one changeguard made; nothing was done.');
    return;
  }
  const who = await actorFromSlack(context, args.body.user.id);
  if (!who) {
    await refuse(UNMAPPED_USER_MESSAGE);
    return;
  }
  try {
    await rejectChange(context.deps, submission.code, who.actor, submission.reason);
    await args.ack();
  } catch (error) {
    if (error instanceof ServiceError) {
      const message = error.message.charAt(0).toUpperCase() + error.message.slice(1);
      await refuse(message);
      return;
    }
    context.logger.error({ err: error }, 'rejecting a change from Slack failed');
    await refuse('Rejecting failed on our side; it has been logged. Try again.');
  }
}
