import { z } from 'zod';
import type { Change } from '../../domain/change/change.js';
import { transition } from '../../domain/change/lifecycle.js';
import { hashScript } from '../../domain/change/scriptHash.js';
import { formatPath } from '../../domain/validation/formatIssue.js';
import type { Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { invalidFields, ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { changeInputSchema, changeReasonSchema } from './changeInput.js';
import { freezeFieldProblems, overlapNoticesFor } from './changeConflicts.js';
import { auditRefusals, changeCommit, writeChange } from './changeWriter.js';

/** What an edit may change, with the same rules as filing; field names match the change form's. */
export const editInputSchema = changeInputSchema.pick({ title: true, description: true, devices: true, script: true }).extend({
  reason: changeReasonSchema,
});

export type EditInput = z.input<typeof editInputSchema>;

const EDITABLE = ['title', 'description', 'devices', 'script'] as const;

/**
 * The requester changes what a change does (title, description, servers, script) before its
 * window opens. Approvers agreed to what they saw, so every approval is withdrawn and the
 * change waits for approval again under its new script hash; the approvers are asked again.
 * The change, its EDIT record and the fresh request are one write. The code, group and window
 * stay: the window moves with rescheduleChange.
 */
export async function editChange(deps: ServiceDeps, code: string, actor: Actor, input: EditInput): Promise<Change> {
  const parsed = editInputSchema.safeParse(input);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[formatPath(issue.path.slice(0, 1))] ??= issue.message;
    throw invalidFields(fields);
  }
  const { reason, ...wanted } = parsed.data;
  const script = wanted.script.replace(/\r\n?/g, '\n');
  const devices = [...new Set(wanted.devices)];
  return auditRefusals(deps, actor, { eventType: 'EDIT', object: code.trim().toUpperCase(), reason: reason || undefined }, async () => {
    const now = deps.clock();
    const image = (c: Change, changed: readonly string[]) => ({ ...Object.fromEntries(changed.map((f) => [f, c[f as (typeof EDITABLE)[number]]])), scriptHash: c.scriptHash, status: c.status, approvals: c.approvals });
    const { before, after } = await writeChange(deps, code, async (current) => {
      await authorise(deps, actor, 'change.edit', { change: current, group: await deps.policies.group(current.group) }, { eventType: 'EDIT', class: 'CHANGE', object: current.code, change: current.code, reason: reason || undefined });
      const moved = transition(current.status, 'edit');
      if (!moved.ok) throw new ServiceError('conflict', moved.message);
      if (now.getTime() >= current.windowStart.getTime()) {
        throw new ServiceError('conflict', `the window of ${current.code} has opened: move it to a later window first (reschedule), then edit it`);
      }
      const group = await deps.policies.group(current.group);
      if (!group) throw new ServiceError('conflict', `access group ${current.group} of ${current.code} no longer exists`);
      const outside = devices.filter((d) => !group.devices.includes(d));
      if (outside.length > 0) throw invalidFields({ devices: `not in group ${group.id}: ${outside.join(', ')}` });
      // Servers added may be frozen in this window: as at filing, only an emergency may go there.
      const added = devices.filter((d) => !current.devices.includes(d));
      const frozen = added.length === 0 ? {} : freezeFieldProblems((await deps.policies.current()).policy, { ...current, devices: added });
      if (Object.keys(frozen).length > 0) throw invalidFields({ devices: `${added.join(', ')}: ${Object.values(frozen).join('; ')}` });
      const scriptHash = hashScript(script);
      const same =
        current.title === wanted.title &&
        current.description === wanted.description &&
        current.devices.join('\n') === devices.join('\n') &&
        current.scriptHash === scriptHash;
      if (same) throw invalidFields({ script: 'nothing changed: edit a field, or leave the change as it is' });
      return {
        patch: {
          title: wanted.title,
          description: wanted.description,
          devices,
          script,
          scriptHash,
          status: moved.to,
          approvals: [],
          approvalRound: { startedAt: now, reminders: 0 },
        },
        result: null,
      };
    }, async (before, after) => {
      const changed = EDITABLE.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
      // Servers added can meet other changes at work there.
      const added = after.devices.filter((device) => !before.devices.includes(device));
      return changeCommit(
        deps,
        actor,
        after,
        {
          status: 'S',
          eventType: 'EDIT',
          class: 'CHANGE',
          object: after.code,
          change: after.code,
          reason: reason || undefined,
          details: `edited ${changed.join(', ')}${before.scriptHash !== after.scriptHash ? ` (script hash ${after.scriptHash.slice(0, 12)})` : ''}${
            before.approvals.length > 0 || before.status === 'approved' ? '; approvals withdrawn, approval needed again' : ''
          }`,
          images: { before: image(before, changed), after: image(after, changed) },
        },
        { kind: 'edited' },
        added.length > 0 ? await overlapNoticesFor(deps, { ...after, devices: added }, actor.userId) : [],
      );
    });
    await deps.events.publish({ type: 'change.edited', change: after, previous: before });
    return after;
  });
}
