import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs, StaticSelectAction } from '@slack/bolt';
import type { SlackContext } from '../../slackContext.js';
import { actorFromSlack } from '../../slackActor.js';
import { newChangeModal, NEW_CHANGE_BLOCKS, readNewChangeSubmission } from '../../views/newChangeModal.js';

type SelectArgs = SlackActionMiddlewareArgs<BlockAction<StaticSelectAction>> & AllMiddlewareArgs;

/** Choosing another group in the form offers that group's servers instead. */
export async function newChangeGroupSelected(context: SlackContext, args: SelectArgs): Promise<void> {
  await args.ack();
  const view = args.body.view;
  if (!view) return;
  try {
    const who = await actorFromSlack(context, args.body.user.id);
    if (!who) return;
    const { policy } = await context.deps.policies.current();
    const groups = policy.groups.filter((g) => g.members.includes(who.user.id));
    const selected = groups.find((g) => g.id === args.action.selected_option.value);
    if (!selected) return;
    const current = readNewChangeSubmission(view.state.values, view.private_metadata);
    const codeInput = view.state.values[NEW_CHANGE_BLOCKS.code]?.value?.value;
    const now = context.deps.clock().getTime();
    await args.client.views.update({
      view_id: view.id,
      hash: view.hash,
      view: newChangeModal({
        // Slack keeps what was typed in inputs whose block and action ids stay the same.
        suggestedCode: codeInput ?? '',
        groups,
        selectedGroup: selected,
        requester: who.user.id,
        start: current.windowStart ?? new Date(now + 3_600_000),
        end: current.windowEnd ?? new Date(now + 3 * 3_600_000),
        webFormUrl: context.webLinks.newChange(),
      }),
    });
  } catch (error) {
    // A stale hash means the form changed meanwhile: the later update wins, nothing is lost.
    context.logger.warn({ err: error }, 'could not refresh the new change form');
  }
}
