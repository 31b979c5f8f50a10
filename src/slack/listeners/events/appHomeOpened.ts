import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { isAllowed } from '../../../domain/access/authorisation.js';
import { listMyChanges } from '../../../services/changes/listChanges.js';
import { appHomeView } from '../../answerViews.js';
import { actorFromSlack, UNMAPPED_USER_MESSAGE } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';

const RECENT_ALERTS = 10;

/** App Home: my open changes, approvals waiting for me, recent alerts for those who may see every live session's alerts (security). */
export async function appHomeOpened(context: SlackContext, args: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> {
  if (args.event.tab !== 'home') return;
  const userId = args.event.user;
  try {
    const who = await actorFromSlack(context, userId);
    let blocks: readonly Record<string, unknown>[];
    if (who) {
      const { policy } = await context.deps.policies.current();
      const rendered = context.templates.renderAnswer(
        'appHome',
        appHomeView({
          name: who.user.name,
          mine: await listMyChanges(context.deps, who.user.id),
          alerts: isAllowed('session.terminate', { kind: 'user', user: who.user })
            ? await context.deps.store.outbox.list({ audience: 'role:security', limit: RECENT_ALERTS })
            : null,
          links: context.webLinks,
          timezone: policy.settings.timezone,
        }),
      );
      if (rendered.problem) context.logger.error({ answer: 'appHome', problem: rendered.problem }, 'Slack answer template problem');
      blocks = rendered.content.blocks;
    } else {
      blocks = [{ type: 'section', text: { type: 'mrkdwn', text: UNMAPPED_USER_MESSAGE } }];
    }
    await args.client.views.publish({ user_id: userId, view: { type: 'home', blocks: blocks as never } });
  } catch (error) {
    context.logger.error({ err: error }, 'could not publish the App Home');
  }
}
