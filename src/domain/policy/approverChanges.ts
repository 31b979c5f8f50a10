import type { PolicyGroup } from './policy.js';

export interface ApproverChange {
  readonly group: string;
  readonly user: string;
  readonly action: 'added' | 'removed';
}

/**
 * Who became, or stopped being, an approver of which group between two versions of the
 * groups (a deleted group removes its approvers, a new one adds them).
 */
export function approverChanges(before: readonly PolicyGroup[], after: readonly PolicyGroup[]): ApproverChange[] {
  const approversOf = (groups: readonly PolicyGroup[]) => new Map(groups.map((g) => [g.id, new Set(g.approvers)]));
  const old = approversOf(before);
  const fresh = approversOf(after);
  const changes: ApproverChange[] = [];
  for (const group of new Set([...old.keys(), ...fresh.keys()])) {
    const was = old.get(group) ?? new Set<string>();
    const is = fresh.get(group) ?? new Set<string>();
    for (const user of is) if (!was.has(user)) changes.push({ group, user, action: 'added' });
    for (const user of was) if (!is.has(user)) changes.push({ group, user, action: 'removed' });
  }
  return changes;
}
