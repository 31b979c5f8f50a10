import { changeRightsOf } from '../../domain/access/portalRoles.js';
import type { Change } from '../../domain/change/change.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { loadChange } from './changeWriter.js';

/**
 * A change as its stakeholders may see it: the requester, the group's members and approvers,
 * and auditors, security and admins (the rule is `changeRightsOf`, shared with the web pages).
 * Anyone else is refused, as if asking about another team.
 */
export async function viewChange(deps: ServiceDeps, code: string, actor: Actor): Promise<Change> {
  const change = await loadChange(deps, code);
  const [user, group] = await Promise.all([deps.policies.user(actor.userId), deps.policies.group(change.group)]);
  if (!user || !changeRightsOf(user, change, group).view) {
    throw new ServiceError('forbidden', `${change.code} belongs to group ${change.group}, which you are not part of`);
  }
  return change;
}
