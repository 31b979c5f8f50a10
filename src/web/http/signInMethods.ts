import type { Policy, PolicyUser } from '../../domain/policy/policy.js';
import type { PortalContext } from '../portalContext.js';
import type { SignInMethod } from './portalLocals.js';

/** The ways to sign in the portal offers right now (they follow the configuration and the policy). */
export interface OfferedSignIn {
  /** Sign in with Slack (SLACK_CLIENT_ID/SECRET). */
  readonly slack: boolean;
  /**
   * Pick a policy user, no password: only without Slack, bound to loopback, and while no user
   * of the policy has a password. Once an admin sets passwords, picking is over for everyone.
   */
  readonly picker: boolean;
  /** Policy users with a `passwordHash` sign in with it, whatever the bind and Slack set-up. */
  readonly password: boolean;
}

export function offeredSignIn(ctx: Pick<PortalContext, 'signIn'>, policy: Policy): OfferedSignIn {
  const password = policy.users.some((u) => u.passwordHash !== undefined);
  return { slack: ctx.signIn.slack !== undefined, picker: ctx.signIn.local !== undefined && !password, password };
}

/**
 * Whether a web session signed in with `method` still stands: a picker session ends once the
 * policy sets passwords, a password session once the user's password is removed.
 */
export function sessionStillOffered(ctx: Pick<PortalContext, 'signIn'>, method: SignInMethod, policy: Policy, user: PolicyUser): boolean {
  const offered = offeredSignIn(ctx, policy);
  return method === 'slack' ? offered.slack : method === 'local' ? offered.picker : user.passwordHash !== undefined;
}
