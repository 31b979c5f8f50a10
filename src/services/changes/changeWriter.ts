import type { Change } from '../../domain/change/change.js';
import type { ChangeNoticeEvent } from '../../domain/notifications/changeNotices.js';
import { changeNotices } from '../../domain/notifications/changeNotices.js';
import type { Notification } from '../../domain/notifications/catalogue.js';
import type { Commit } from '../../store/commit.js';
import type { ChangePatch } from '../../store/changeRepository.js';
import type { Actor } from '../actor.js';
import type { AuditFields } from '../audit/auditTrail.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

const MAX_ATTEMPTS = 20;

export async function loadChange(deps: ServiceDeps, code: string): Promise<Change> {
  const change = await deps.store.changes.findByCode(code.trim().toUpperCase());
  if (!change) throw new ServiceError('not_found', `no change ${code.trim().toUpperCase()}`);
  return change;
}

/** The change as the store will hold it after `patch` (as JSON keeps it: a field set to undefined is gone). */
export function patched(before: Change, patch: ChangePatch): Change {
  const next = { ...before, ...patch, code: before.code, createdAt: before.createdAt, version: before.version + 1 };
  return Object.fromEntries(Object.entries(next).filter(([, value]) => value !== undefined)) as unknown as Change;
}

/** What a step of a change leaves behind: its audit record and what the people around it are told. */
export async function changeCommit(
  deps: ServiceDeps,
  actor: Actor,
  after: Change,
  audit: AuditFields,
  notice: ChangeNoticeEvent | null,
  /** Notices beyond the change's own (the other side of an overlap). */
  others: readonly Notification[] = [],
): Promise<Commit> {
  const { policy } = await deps.policies.current();
  const group = policy.groups.find((g) => g.id === after.group);
  const builder = new CommitBuilder(deps, actor).audit(audit);
  if (notice) builder.notify(...changeNotices(notice, after, group, policy.channels));
  if (others.length > 0) builder.notify(...others);
  return builder.build();
}

/**
 * Read, decide, write-if-unchanged, and on a lost race read again and decide again. The
 * decision always sees the latest state, so two approvers clicking at once cannot both
 * complete a quorum, and a second click sees the first one's result. `describe` says what
 * the step leaves behind (its commit: audit records and notifications), from the change as it
 * will be; the store writes it with the change, all or nothing.
 */
export async function writeChange<R>(
  deps: ServiceDeps,
  code: string,
  /** Returns the patch to apply, or a null patch when nothing needs writing. */
  decide: (current: Change) => Promise<{ patch: ChangePatch | null; result: R }> | { patch: ChangePatch | null; result: R },
  describe?: (before: Change, after: Change, result: R) => Promise<Commit>,
): Promise<{ before: Change; after: Change; result: R }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const before = await loadChange(deps, code);
    const { patch, result } = await decide(before);
    if (patch === null) return { before, after: before, result };
    const full: ChangePatch = { ...patch, updatedAt: deps.clock() };
    const commit = describe ? await describe(before, patched(before, full), result) : undefined;
    const after = await deps.store.changes.update(before.code, before.version, full, commit);
    if (after) {
      committed(deps, commit);
      return { before, after, result };
    }
  }
  throw new ServiceError('conflict', `${code} is being changed by someone else right now; try again`);
}

/** Refusals of privileged actions are audited too (status D), then passed on. */
export async function auditRefusals<T>(
  deps: ServiceDeps,
  actor: Actor,
  what: { eventType: string; object: string; reason?: string | undefined; class?: string },
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ServiceError && !error.audited && (error.kind === 'forbidden' || error.kind === 'conflict')) {
      await deps.audit.record(actor, {
        status: 'D',
        eventType: what.eventType,
        class: what.class ?? 'CHANGE',
        object: what.object,
        change: what.class === undefined || what.class === 'CHANGE' ? what.object : undefined,
        details: error.message,
        reason: what.reason,
      });
      error.audited = true;
    }
    throw error;
  }
}
