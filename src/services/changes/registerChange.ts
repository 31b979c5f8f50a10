import type { z } from 'zod';
import type { Change } from '../../domain/change/change.js';
import { suggestChangeCode } from '../../domain/change/changeCode.js';
import { windowProblems } from '../../domain/change/changeWindowRules.js';
import { hashScript } from '../../domain/change/scriptHash.js';
import { formatPath } from '../../domain/validation/formatIssue.js';
import { DuplicateKeyError } from '../../store/storeErrors.js';
import type { Actor } from '../actor.js';
import { invalidFields, ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { changeInputSchema, type ChangeInput } from './changeInput.js';

export type CheckedChangeInput = z.output<typeof changeInputSchema>;

/**
 * The filing rules, without filing: field by field, what is wrong (a ServiceError 'invalid'
 * whose `fields` name the form fields), else the input as it would be filed. The web form's
 * preflight asks this before it offers to file.
 */
export async function checkChangeInput(deps: ServiceDeps, input: ChangeInput, actor: Actor): Promise<CheckedChangeInput> {
  const parsed = changeInputSchema.safeParse(input);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[formatPath(issue.path.slice(0, 1))] ??= issue.message;
    throw invalidFields(fields);
  }
  const value = parsed.data;
  const fields: Record<string, string> = windowProblems(value.windowStart, value.windowEnd, deps.clock());
  const group = await deps.policies.group(value.group);
  if (!group) fields.group = `unknown access group "${value.group}"`;
  else {
    if (!group.members.includes(actor.userId)) fields.group = `you are not a member of ${group.id}`;
    const outside = value.devices.filter((d) => !group.devices.includes(d));
    if (outside.length > 0) fields.devices = `not in group ${group.id}: ${outside.join(', ')}`;
  }
  if (Object.keys(fields).length > 0) throw invalidFields(fields);
  return value;
}

/** Files a planned change; it waits for approval by the group's approvers. */
export async function registerChange(deps: ServiceDeps, input: ChangeInput, actor: Actor): Promise<Change> {
  const value = await checkChangeInput(deps, input, actor);
  const now = deps.clock();

  const base = {
    title: value.title,
    description: value.description,
    requester: actor.userId,
    group: value.group,
    devices: [...new Set(value.devices)],
    script: value.script.replace(/\r\n?/g, '\n'),
    scriptHash: hashScript(value.script),
    windowStart: value.windowStart,
    windowEnd: value.windowEnd,
    status: 'pending_approval' as const,
    approvals: [],
    createdAt: now,
    updatedAt: now,
    version: 0,
  };
  const change = await createWithCode(deps, base, value.code);
  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'CREATE',
    class: 'CHANGE',
    object: change.code,
    change: change.code,
    details: `change filed for ${change.devices.join(', ')} in ${change.group}`,
    images: { before: null, after: change },
  });
  await deps.events.publish({ type: 'change.created', change });
  return change;
}

/** A code the requester chose must be free; a suggested one skips codes already taken. */
async function createWithCode(deps: ServiceDeps, base: Omit<Change, 'code'>, code: string | undefined): Promise<Change> {
  if (code !== undefined) {
    const change = { ...base, code };
    try {
      await deps.store.changes.create(change);
      return change;
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw invalidFields({ code: `${code} is already taken` });
      throw error;
    }
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const change = { ...base, code: suggestChangeCode(await deps.store.changes.nextSequence('change')) };
    try {
      await deps.store.changes.create(change);
      return change;
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
  }
  throw new ServiceError('conflict', 'could not find a free change code; give one explicitly');
}

/** The next code a form should propose (it may still be taken by the time it is used). */
export async function suggestNextCode(deps: ServiceDeps): Promise<string> {
  for (;;) {
    const code = suggestChangeCode(await deps.store.changes.nextSequence('change'));
    if (!(await deps.store.changes.findByCode(code))) return code;
  }
}
