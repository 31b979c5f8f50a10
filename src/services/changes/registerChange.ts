import type { z } from 'zod';
import { decideAccess } from '../../domain/access/authorisation.js';
import type { Change } from '../../domain/change/change.js';
import { suggestChangeCode } from '../../domain/change/changeCode.js';
import { windowProblems } from '../../domain/change/changeWindowRules.js';
import { hashScript } from '../../domain/change/scriptHash.js';
import { formatPath } from '../../domain/validation/formatIssue.js';
import { DuplicateKeyError } from '../../store/storeErrors.js';
import type { Commit } from '../../store/commit.js';
import type { Actor } from '../actor.js';
import { askerOf } from '../access/authorise.js';
import { committed } from '../commits/commitBuilder.js';
import { invalidFields, ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { freezeFieldProblems, overlapNoticesFor } from './changeConflicts.js';
import { changeInputSchema, type ChangeInput } from './changeInput.js';
import { changeCommit } from './changeWriter.js';

export type CheckedChangeInput = z.output<typeof changeInputSchema>;

/**
 * The filing rules, without filing: field by field, what is wrong (a ServiceError 'invalid'
 * whose `fields` name the form fields), else the input as it would be filed. The web form's
 * preflight asks this before it offers to file. Only a member of the group may file (the
 * authorisation table); the executors it names must be members too.
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
  const executors = [...new Set(value.executors)].filter((id) => id !== actor.userId);
  if (!group) fields.group = `unknown access group "${value.group}"`;
  else {
    const asker = await askerOf(deps, actor);
    const access = asker ? decideAccess('change.file', asker, { group }) : { allowed: false as const, message: `${actor.userId} is not a user of the policy` };
    if (!access.allowed) fields.group = access.message;
    const outside = value.devices.filter((d) => !group.devices.includes(d));
    if (outside.length > 0) fields.devices = `not in group ${group.id}: ${outside.join(', ')}`;
    const strangers = executors.filter((id) => !group.members.includes(id));
    if (strangers.length > 0) fields.executors = `not members of ${group.id}: ${strangers.join(', ')}`;
  }
  if (Object.keys(fields).length === 0) {
    // Policy freezes: no window inside one, unless flagged an emergency that enough approvers can approve.
    const { policy } = await deps.policies.current();
    Object.assign(fields, freezeFieldProblems(policy, { ...value, requester: actor.userId }));
  }
  if (Object.keys(fields).length > 0) throw invalidFields(fields);
  return { ...value, executors };
}

/**
 * Files a planned change; it waits for approval by the group's approvers. The change, its
 * CREATE record and the request to its reviewers are one write. A filing the authorisation
 * table refuses is audited (CREATE, status D).
 */
export async function registerChange(deps: ServiceDeps, input: ChangeInput, actor: Actor): Promise<Change> {
  let value: CheckedChangeInput;
  try {
    value = await checkChangeInput(deps, input, actor);
  } catch (error) {
    const group = error instanceof ServiceError ? error.fields.group : undefined;
    if (group !== undefined && !group.startsWith('unknown access group')) {
      await deps.audit.record(actor, { status: 'D', eventType: 'CREATE', class: 'CHANGE', details: `refused: ${group}` });
    }
    throw error;
  }
  const { executors } = value;
  const now = deps.clock();

  const base = {
    title: value.title,
    description: value.description,
    requester: actor.userId,
    group: value.group,
    devices: [...new Set(value.devices)],
    ...(executors.length > 0 && { executors }),
    script: value.script.replace(/\r\n?/g, '\n'),
    scriptHash: hashScript(value.script),
    windowStart: value.windowStart,
    windowEnd: value.windowEnd,
    ...(value.emergency && { emergency: true }),
    status: 'pending_approval' as const,
    approvals: [],
    createdAt: now,
    updatedAt: now,
    version: 0,
  };
  const describe = async (change: Change) =>
    changeCommit(
      deps,
      actor,
      change,
      {
        status: 'S',
        eventType: 'CREATE',
        class: 'CHANGE',
        object: change.code,
        change: change.code,
        details: `change filed for ${change.devices.join(', ')} in ${change.group}${change.executors ? `; executors ${change.executors.join(', ')}` : ''}${change.emergency ? ' as an emergency' : ''}`,
        images: { before: null, after: change },
      },
      { kind: 'filed' },
      await overlapNoticesFor(deps, change, actor.userId),
    );
  const change = await createWithCode(deps, base, value.code, describe);
  await deps.events.publish({ type: 'change.created', change });
  return change;
}

/** A code the requester chose must be free; a suggested one skips codes already taken. */
async function createWithCode(
  deps: ServiceDeps,
  base: Omit<Change, 'code'>,
  code: string | undefined,
  describe: (change: Change) => Promise<Commit>,
): Promise<Change> {
  const create = async (change: Change) => {
    const commit = await describe(change);
    await deps.store.changes.create(change, commit);
    committed(deps, commit);
    return change;
  };
  if (code !== undefined) {
    try {
      return await create({ ...base, code });
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw invalidFields({ code: `${code} is already taken` });
      throw error;
    }
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      return await create({ ...base, code: suggestChangeCode(await deps.store.changes.nextSequence('change')) });
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
