import { awaitsDecisionBy, changeScopeOf } from '../../domain/access/portalRoles.js';
import type { Change } from '../../domain/change/change.js';
import type { ChangeStatus } from '../../domain/change/changeStatus.js';
import type { PolicyUser } from '../../domain/policy/policy.js';
import type { ServiceDeps } from '../serviceDeps.js';

export interface ChangePage {
  readonly changes: readonly Change[];
  readonly hasMore: boolean;
}

/** Newest window first, as the stores list them. */
function byWindowDesc(a: Change, b: Change): number {
  return b.windowStart.getTime() - a.windowStart.getTime() || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
}

/** The changes `user` may see: all of them for auditors, security and admins, else their own and their groups'. */
export async function listChangesFor(
  deps: ServiceDeps,
  user: PolicyUser,
  query: { statuses?: readonly ChangeStatus[] | undefined; limit: number; offset: number },
): Promise<ChangePage> {
  const { policy } = await deps.policies.current();
  const scope = changeScopeOf(user, policy.groups);
  const wanted = query.offset + query.limit + 1;
  let changes: Change[];
  if (scope.all) {
    changes = await deps.store.changes.list({ statuses: query.statuses, limit: query.limit + 1, offset: query.offset });
  } else {
    // Two indexed queries merged: what they filed, and their groups' changes.
    const [own, groups] = await Promise.all([
      deps.store.changes.list({ statuses: query.statuses, requester: scope.requester, limit: wanted }),
      scope.groups.length > 0
        ? deps.store.changes.list({ statuses: query.statuses, groups: scope.groups, limit: wanted })
        : Promise.resolve([]),
    ]);
    const merged = new Map([...own, ...groups].map((c) => [c.code, c]));
    changes = [...merged.values()].sort(byWindowDesc).slice(query.offset, wanted);
  }
  return { changes: changes.slice(0, query.limit), hasMore: changes.length > query.limit };
}

/** Pending changes this user can approve now: the approver's inbox. */
export async function listApprovalsAwaiting(deps: ServiceDeps, user: PolicyUser): Promise<Change[]> {
  const { policy } = await deps.policies.current();
  const groups = policy.groups.filter((g) => g.approvers.includes(user.id));
  if (groups.length === 0) return [];
  const pending = await deps.store.changes.list({ statuses: ['pending_approval'], groups: groups.map((g) => g.id) });
  return pending
    .filter((change) => awaitsDecisionBy(user, change, groups.find((g) => g.id === change.group)))
    // Soonest window first: those are the ones running out of time.
    .sort((a, b) => a.windowStart.getTime() - b.windowStart.getTime());
}
