import type { PolicyUser } from '../domain/policy/policy.js';
import type { Actor } from '../services/actor.js';
import type { SlackContext } from './slackContext.js';

export const UNMAPPED_USER_MESSAGE =
  'Your Slack account is not linked to a changeguard user: ask an admin to add `slack: <your member id>` to your entry in the policy.';

export interface SlackActor {
  readonly user: PolicyUser;
  readonly actor: Actor;
}

/** The policy user behind a Slack user id, or null: unmapped Slack users can do nothing. */
export async function actorFromSlack(context: SlackContext, slackUserId: string): Promise<SlackActor | null> {
  const user = await context.deps.policies.userBySlackId(slackUserId);
  if (!user) return null;
  return { user, actor: { userId: user.id, terminal: `slack ${slackUserId}` } };
}
