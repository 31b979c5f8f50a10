import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { listMyChanges } from '../../../services/changes/listChanges.js';
import { actorFromSlack, UNMAPPED_USER_MESSAGE } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';
import { appHomeView } from '../../views/appHomeView.js';

const RECENT_ALERTS = 10;

/** App Home: my open changes, approvals waiting for me, recent alerts if I am security. */
export async function appHomeOpened(context: SlackContext, args: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> {
  if (args.event.tab !== 'home') return;
  const userId = args.event.user;
  try {
    const who = await actorFromSlack(context, userId);
    const view = who
      ? appHomeView({
          name: who.user.name,
          mine: await listMyChanges(context.deps, who.user.id),
          alerts: who.user.roles.includes('security')
            ? await context.deps.store.outbox.list({ audience: 'role:security', limit: RECENT_ALERTS })
            : null,
          links: context.webLinks,
        })
      : { type: 'home' as const, blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: UNMAPPED_USER_MESSAGE } }] };
    await args.client.views.publish({ user_id: userId, view });
  } catch (error) {
    context.logger.error({ err: error }, 'could not publish the App Home');
  }
}
