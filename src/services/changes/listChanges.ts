import { awaitsDecisionBy } from '../../domain/access/portalRoles.js';
import type { Change } from '../../domain/change/change.js';
import { FINAL_STATUSES } from '../../domain/change/changeStatus.js';
import type { ServiceDeps } from '../serviceDeps.js';

export interface MyChanges {
  /** Changes I filed that are not finished yet, newest window first. */
  readonly open: readonly Change[];
  /** Pending requests in groups I approve, filed by others, that my approval would count for. */
  readonly awaitingMyApproval: readonly Change[];
}

const LIMIT = 25;

/** What `/change list` and the App Home show a user. */
export async function listMyChanges(deps: ServiceDeps, userId: string): Promise<MyChanges> {
  const { policy } = await deps.policies.current();
  const approverOf = policy.groups.filter((g) => g.approvers.includes(userId)).map((g) => g.id);
  const open = await deps.store.changes.list({
    requester: userId,
    statuses: ['pending_approval', 'approved', 'in_progress'],
    limit: LIMIT,
  });
  const pending =
    approverOf.length === 0 ? [] : await deps.store.changes.list({ statuses: ['pending_approval'], groups: approverOf, limit: LIMIT * 4 });
  const user = policy.users.find((u) => u.id === userId);
  // The same rule as the web portal's approvals page: one definition of "waits for my decision".
  const awaitingMyApproval = user
    ? pending.filter((c) => awaitsDecisionBy(user, c, policy.groups.find((g) => g.id === c.group))).slice(0, LIMIT)
    : [];
  return { open: open.filter((c) => !FINAL_STATUSES.includes(c.status)), awaitingMyApproval };
}
