import { decideApprovalReminder, type ReminderSettings } from '../../domain/change/approvalReminder.js';
import { approvalRequestedAt } from '../../domain/change/changeTimeline.js';
import { summariseChange, type Audience, type Notifier } from '../../notify/notification.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { loadChange, writeChange } from './changeWriter.js';
import { DONE, skipped, type TimedStepResult } from './timedStepResult.js';

/**
 * Reminds the approvers whose approval a pending request still lacks; after
 * `escalateAfter` reminders the group's channel (or the approvals channel) is told too.
 * The reminder is sent before it is counted: a crash in between repeats it (the notifier
 * de-duplicates by key) rather than losing it.
 */
export async function remindApprovers(deps: ServiceDeps, notifier: Notifier, code: string, settings: ReminderSettings): Promise<TimedStepResult> {
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
  const audience: Audience[] = decision.waitingFor.map((user) => ({ user }));
  if (decision.escalate) audience.push(group.channel ? { slackChannel: group.channel } : { role: 'approvals' });
  const round = approvalRequestedAt(change);
  await notifier.notify({
    type: 'access.approval_reminder',
    audience,
    data: {
      change: summariseChange(change),
      details: {
        reminder: decision.number,
        escalated: decision.escalate,
        waitingFor: users.map((user, i) => user?.name ?? decision.waitingFor[i]).join(', '),
      },
    },
    dedupeKey: `access.approval_reminder:${change.code}:${round.toISOString()}:${decision.number}`,
  });

  await writeChange(deps, change.code, (latest) => {
    // Another run counted this slot (or a later one) already, or the request moved on.
    const sameRound = approvalRequestedAt(latest).getTime() === round.getTime();
    if (!sameRound || (latest.approvalRound?.reminders ?? 0) >= decision.number) return { patch: null, result: null };
    return { patch: { approvalRound: { startedAt: round, reminders: decision.number } }, result: null };
  });
  return DONE;
}
