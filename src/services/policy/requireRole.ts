import type { PolicyUser, Role } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

/**
 * Privileged actions outside a change (terminating a session, locking a user, period
 * reports) need a role in the policy. A refusal is audited (status D) and explained.
 */
export async function requireRole(
  deps: ServiceDeps,
  actor: Actor,
  roles: readonly Role[],
  attempt: { eventType: string; class: string; object?: string | undefined },
): Promise<PolicyUser> {
  const user = await deps.policies.user(actor.userId);
  if (user && roles.some((role) => user.roles.includes(role))) return user;
  const needed = roles.length === 1 ? `the ${roles[0]} role` : `one of the roles ${roles.join(', ')}`;
  await deps.audit.record(actor, { status: 'D', eventType: attempt.eventType, class: attempt.class, object: attempt.object, details: `refused: needs ${needed}` });
  throw new ServiceError('forbidden', `${attempt.eventType.toLowerCase()} needs ${needed}`);
}
