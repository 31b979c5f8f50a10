import type { Action } from '../../domain/access/authorisation.js';
import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { authoriseUser, type AttemptRecord } from '../access/authorise.js';
import type { ServiceDeps } from '../serviceDeps.js';

/**
 * Privileged reads outside a change (period reports) go through the authorisation table
 * like every action; a refusal is audited (status D) and explained.
 */
export async function requireRole(deps: ServiceDeps, actor: Actor, action: Action, attempt: AttemptRecord): Promise<PolicyUser> {
  return authoriseUser(deps, actor, action, {}, attempt);
}
