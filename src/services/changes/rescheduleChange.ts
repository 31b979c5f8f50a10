import { z } from 'zod';
import type { Change } from '../../domain/change/change.js';
import { windowProblems } from '../../domain/change/changeWindowRules.js';
import { transition } from '../../domain/change/lifecycle.js';
import { formatPath } from '../../domain/validation/formatIssue.js';
import type { Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { invalidFields, ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { freezeFieldProblems, overlapNoticesFor } from './changeConflicts.js';
import { changeReasonSchema } from './changeInput.js';
import { auditRefusals, changeCommit, writeChange } from './changeWriter.js';

/** Field names match the change form's. */
export const rescheduleInputSchema = z.object({
  windowStart: z.coerce.date({ message: 'is not a date' }),
  windowEnd: z.coerce.date({ message: 'is not a date' }),
  reason: changeReasonSchema,
  /** Flags (or unflags) the change an emergency: one may be moved into a policy freeze. Absent: as it is. */
  emergency: z.boolean().optional(),
});

export type RescheduleInput = z.input<typeof rescheduleInputSchema>;

/**
 * The requester moves a change's window before work starts. The window is part of what the
 * approvers agreed to, so an approved change goes back to pending approval and every earlier
 * approval is dropped; reminders start over. A change in progress cannot move: its sessions
 * were opened under the current window.
 */
export async function rescheduleChange(deps: ServiceDeps, code: string, actor: Actor, input: RescheduleInput): Promise<Change> {
  const parsed = rescheduleInputSchema.safeParse(input);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[formatPath(issue.path.slice(0, 1))] ??= issue.message;
    throw invalidFields(fields);
  }
  const { windowStart, windowEnd, reason, emergency: flag } = parsed.data;
  return auditRefusals(deps, actor, { eventType: 'RESCHEDULE', object: code.trim().toUpperCase(), reason: reason || undefined }, async () => {
    const now = deps.clock();
    // ISO 8601 intervals: start/end.
    const window = (c: Change) => `${c.windowStart.toISOString()}/${c.windowEnd.toISOString()}`;
    const { before, after } = await writeChange(deps, code, async (current) => {
      await authorise(deps, actor, 'change.reschedule', { change: current, group: await deps.policies.group(current.group) }, { eventType: 'RESCHEDULE', class: 'CHANGE', object: current.code, change: current.code, reason: reason || undefined });
      const moved = transition(current.status, 'reschedule');
      if (!moved.ok) throw new ServiceError('conflict', moved.message);
      const problems = windowProblems(windowStart, windowEnd, now);
      if (Object.keys(problems).length > 0) throw invalidFields(problems);
      const emergency = flag ?? current.emergency ?? false;
      const sameWindow = windowStart.getTime() === current.windowStart.getTime() && windowEnd.getTime() === current.windowEnd.getTime();
      if (sameWindow && emergency === (current.emergency ?? false)) {
        throw invalidFields({ windowStart: 'is the current window: nothing to reschedule' });
      }
      // Policy freezes: as at filing, no window inside one unless flagged an emergency.
      const frozen = freezeFieldProblems((await deps.policies.current()).policy, { ...current, windowStart, windowEnd, emergency });
      if (Object.keys(frozen).length > 0) throw invalidFields(frozen);
      return {
        patch: {
          windowStart,
          windowEnd,
          ...(flag !== undefined && { emergency: flag }),
          status: moved.to,
          approvals: [],
          approvalRound: { startedAt: now, reminders: 0 },
        },
        result: null,
      };
    }, async (before, after) =>
      changeCommit(
        deps,
        actor,
        after,
        {
          status: 'S',
          eventType: 'RESCHEDULE',
          class: 'CHANGE',
          object: after.code,
          change: after.code,
          reason: reason || undefined,
          details:
            `window moved from ${window(before)} to ${window(after)}${before.status === 'approved' ? '; approvals withdrawn, approval needed again' : ''}` +
            `${(after.emergency ?? false) !== (before.emergency ?? false) ? (after.emergency ? '; flagged an emergency' : '; no longer an emergency') : ''}`,
          images: {
            before: { windowStart: before.windowStart, windowEnd: before.windowEnd, status: before.status, approvals: before.approvals, emergency: before.emergency ?? false },
            after: { windowStart: after.windowStart, windowEnd: after.windowEnd, status: after.status, approvals: after.approvals, emergency: after.emergency ?? false },
          },
        },
        { kind: 'rescheduled' },
        await overlapNoticesFor(deps, after, actor.userId),
      ),
    );
    await deps.events.publish({ type: 'change.rescheduled', change: after, previous: before });
    return after;
  });
}
