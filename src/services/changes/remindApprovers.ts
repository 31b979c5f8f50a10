import { reminderAudience } from '../../domain/notifications/audiences.js';
import { summariseChange } from '../../domain/notifications/catalogue.js';
import { decideApprovalReminder, type ReminderSettings } from '../../domain/change/approvalReminder.js';
import { approvalRequestedAt } from '../../domain/change/changeTimeline.js';
import { SYSTEM_ACTOR } from '../actor.js';
import { CommitBuilder } from '../commits/commitBuilder.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { loadChange, writeChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

/**
 * Reminds the approvers whose approval a pending request still lacks; after
 * `escalateAfter` reminders the group's channel (or the approvals channel) is told too.
 * The reminder and its count are one write: a crash leaves either both or neither.
 */
export async function remindApprovers(deps: ServiceDeps, code: string, settings: ReminderSettings): Promise<TimedStepResult> {
  const change = await loadChange(deps, code);
  const group = await deps.policies.group(change.group);
  if (!group) return skipped(`access group ${change.group} of ${change.code} no longer exists`, { obsolete: true });
  const decision = decideApprovalReminder(change, group, deps.clock(), settings);
  if (!decision.due) {
    // No later reminder can be due either once the request is decided or its deadline passed.
    const obsolete = decision.reason === 'not_pending' || decision.reason === 'deadline_passed';
    return skipped(`${change.code}: no reminder due (${decision.reason.replaceAll('_', ' ')})`, { obsolete });
  }

  const users = await Promise.all(decision.waitingFor.map((id) => deps.policies.user(id)));
  const round = approvalRequestedAt(change);
  const { before, after } = await writeChange(
    deps,
    change.code,
    (latest) => {
      // Another run counted this slot (or a later one) already, or the request moved on.
      const sameRound = approvalRequestedAt(latest).getTime() === round.getTime();
      if (!sameRound || latest.status !== 'pending_approval' || (latest.approvalRound?.reminders ?? 0) >= decision.number) return { patch: null, result: null };
      return { patch: { approvalRound: { startedAt: round, reminders: decision.number } }, result: null };
    },
    () =>
      new CommitBuilder(deps, SYSTEM_ACTOR)
        .notify({
          type: 'access.approval_reminder',
          audience: reminderAudience(decision.waitingFor, decision.escalate, group),
          data: {
            change: summariseChange(change),
            details: {
              reminder: decision.number,
              escalated: decision.escalate,
              waitingFor: users.map((user, i) => user?.name ?? decision.waitingFor[i]).join(', '),
            },
          },
          dedupeKey: `access.approval_reminder:${change.code}:${round.toISOString()}:${decision.number}`,
        })
        .build(),
  );
  return before === after ? skipped(`${change.code}: reminder ${decision.number} was sent already`) : DONE;
}
