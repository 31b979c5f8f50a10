import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { verifyPassword } from './passwords.js';

/** Who an identity provider says someone is. */
export type SignInIdentity =
  /** Sign in with Slack: the Slack user id OpenID Connect vouched for. */
  | { readonly method: 'slack'; readonly slackUserId: string }
  /** The loopback picker (no Slack, loopback, no passwords in the policy): the policy user picked. */
  | { readonly method: 'local'; readonly userId: string }
  /** A policy user's id and password, checked against the policy's `passwordHash`. */
  | { readonly method: 'password'; readonly userId: string; readonly password: string };

const HOW: Readonly<Record<SignInIdentity['method'], string>> = {
  slack: 'Sign in with Slack',
  local: 'local sign-in (loopback only)',
  password: 'password sign-in',
};

/** One answer for every failed password sign-in: which part was wrong is not the caller's to learn. */
export const PASSWORD_REFUSAL = 'unknown user or wrong password';

/**
 * Maps an identity to the policy user it belongs to, and audits the sign-in either way: the
 * portal lets people approve changes, so who entered it, when and from where is on record.
 */
export async function signIn(deps: ServiceDeps, identity: SignInIdentity, terminal: string): Promise<PolicyUser> {
  const user =
    identity.method === 'slack' ? await deps.policies.userBySlackId(identity.slackUserId) : await deps.policies.user(identity.userId);
  const how = identity.method === 'slack' ? `${HOW.slack} as ${identity.slackUserId}` : HOW[identity.method];
  const who = identity.method === 'slack' ? identity.slackUserId : identity.userId;
  const refuse = async (reason: string, message: string): Promise<never> => {
    const actor: Actor = { userId: user?.id ?? who, terminal };
    await deps.audit.record(actor, { status: 'D', eventType: 'SIGNIN', class: 'USER', object: user?.id ?? who, details: how, reason });
    throw new ServiceError('forbidden', message);
  };
  if (identity.method === 'password') {
    // Always hashed, also for an unknown user or one without a password: the time taken says nothing.
    const matches = await verifyPassword(identity.password, user?.passwordHash);
    if (!user) return refuse('not a user of the policy', PASSWORD_REFUSAL);
    if (!user.passwordHash) return refuse('no password set in the policy', PASSWORD_REFUSAL);
    if (!matches) return refuse('wrong password', PASSWORD_REFUSAL);
  } else if (!user) {
    return refuse(
      'not a user of the policy',
      identity.method === 'slack'
        ? `Slack user ${identity.slackUserId} is not a changeguard user: ask an admin to add "slack: ${identity.slackUserId}" to your entry in the policy`
        : `${identity.userId} is not a user of the policy`,
    );
  }
  await deps.audit.record({ userId: user.id, terminal }, { status: 'S', eventType: 'SIGNIN', class: 'USER', object: user.id, details: how });
  return user;
}
