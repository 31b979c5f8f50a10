import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** Who an identity provider says someone is. */
export type SignInIdentity =
  /** Sign in with Slack: the Slack user id OpenID Connect vouched for. */
  | { readonly method: 'slack'; readonly slackUserId: string }
  /** Local sign-in (loopback only): the policy user picked. */
  | { readonly method: 'local'; readonly userId: string };

/**
 * Maps an identity to the policy user it belongs to, and audits the sign-in either way: the
 * portal lets people approve changes, so who entered it, when and from where is on record.
 */
export async function signIn(deps: ServiceDeps, identity: SignInIdentity, terminal: string): Promise<PolicyUser> {
  const user =
    identity.method === 'slack' ? await deps.policies.userBySlackId(identity.slackUserId) : await deps.policies.user(identity.userId);
  const how = identity.method === 'slack' ? `Sign in with Slack as ${identity.slackUserId}` : 'local sign-in (loopback only)';
  if (!user) {
    const who = identity.method === 'slack' ? identity.slackUserId : identity.userId;
    const actor: Actor = { userId: who, terminal };
    await deps.audit.record(actor, { status: 'D', eventType: 'SIGNIN', class: 'USER', object: who, details: how, reason: 'not a user of the policy' });
    throw new ServiceError(
      'forbidden',
      identity.method === 'slack'
        ? `Slack user ${identity.slackUserId} is not a changeguard user: ask an admin to add "slack: ${identity.slackUserId}" to your entry in the policy`
        : `${identity.userId} is not a user of the policy`,
    );
  }
  await deps.audit.record({ userId: user.id, terminal }, { status: 'S', eventType: 'SIGNIN', class: 'USER', object: user.id, details: how });
  return user;
}
