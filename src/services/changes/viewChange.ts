import type { Change } from '../../domain/change/change.js';
import type { Role } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { loadChange } from './changeWriter.js';

/** Roles that see every change, read-only. */
const OVERSEERS: readonly Role[] = ['auditor', 'security', 'admin'];

/**
 * A change as its stakeholders may see it: the requester, the group's members and approvers,
 * and auditors, security and admins. Anyone else is refused, as if asking about another team.
 */
export async function viewChange(deps: ServiceDeps, code: string, actor: Actor): Promise<Change> {
  const change = await loadChange(deps, code);
  const [user, group] = await Promise.all([deps.policies.user(actor.userId), deps.policies.group(change.group)]);
  const allowed =
    change.requester === actor.userId ||
    (group !== undefined && (group.members.includes(actor.userId) || group.approvers.includes(actor.userId))) ||
    (user !== undefined && OVERSEERS.some((role) => user.roles.includes(role)));
  if (!allowed) throw new ServiceError('forbidden', `${change.code} belongs to group ${change.group}, which you are not part of`);
  return change;
}
