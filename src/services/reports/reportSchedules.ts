import type { z } from 'zod';
import { nextOccurrences, type ReportSchedule } from '../../domain/reports/reportSchedule.js';
import { formatPath } from '../../domain/validation/formatIssue.js';
import { AUDIT } from '../../domain/notifications/audiences.js';
import type { NotificationType } from '../../domain/notifications/catalogue.js';
import type { Commit } from '../../store/commit.js';
import type { ReportSchedulePatch } from '../../store/reportScheduleRepository.js';
import { DuplicateKeyError } from '../../store/storeErrors.js';
import type { Actor } from '../actor.js';
import { authorise, permit } from '../access/authorise.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { reportScheduleChangesSchema, reportScheduleInputSchema, type ReportScheduleChanges, type ReportScheduleInput } from './reportScheduleInput.js';

const MAX_ATTEMPTS = 20;

export interface ListedReportSchedule {
  readonly schedule: ReportSchedule;
  /** When it next posts. */
  readonly nextRunAt: Date;
}

/** Schedules a report; audited with its after image, announced to the audit channel, in one write. */
export async function createReportSchedule(deps: ServiceDeps, input: ReportScheduleInput, actor: Actor): Promise<ReportSchedule> {
  const id = typeof input.id === 'string' ? input.id.trim().toLowerCase() : '';
  return auditRefusals(deps, actor, 'CREATE', id, async () => {
    await requireManager(deps, actor, 'CREATE', id);
    const { timezone, ...value } = parse(reportScheduleInputSchema, input);
    const now = deps.clock();
    const schedule: ReportSchedule = {
      ...value,
      timezone: timezone ?? (await deps.policies.current()).policy.settings.timezone,
      createdBy: actor.userId,
      createdAt: now,
      updatedAt: now,
      version: 0,
    };
    // As the store will give it back (JSON drops undefined fields).
    const stored = JSON.parse(JSON.stringify(schedule), (key, value: unknown) => (key === 'createdAt' || key === 'updatedAt' ? new Date(value as string) : value)) as ReportSchedule;
    const commit = await scheduleCommit(deps, actor, 'CREATE', 'schedule.report_created', stored, { before: null, after: stored });
    try {
      await deps.store.reportSchedules.create(schedule, commit);
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw invalid({ id: `${value.id} is already taken` });
      throw error;
    }
    committed(deps, commit);
    await deps.events.publish({ type: 'report_schedule.created', schedule: stored });
    return stored;
  });
}

/** Changes a schedule's period, cron, time zone or channel; audited with before and after images. */
export async function updateReportSchedule(
  deps: ServiceDeps,
  id: string,
  changes: ReportScheduleChanges,
  actor: Actor,
): Promise<ReportSchedule> {
  const key = id.trim().toLowerCase();
  return auditRefusals(deps, actor, 'UPDATE', key, async () => {
    await requireManager(deps, actor, 'UPDATE', key);
    const value = parse(reportScheduleChangesSchema, changes);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const before = await deps.store.reportSchedules.findById(key);
      if (!before) throw new ServiceError('not_found', `no report schedule ${key}`);
      const patch: ReportSchedulePatch = {
        ...(value.period !== undefined && value.period !== before.period && { period: value.period }),
        ...(value.cron !== undefined && value.cron !== before.cron && { cron: value.cron }),
        ...(value.timezone !== undefined && value.timezone !== before.timezone && { timezone: value.timezone }),
        ...(value.channel !== undefined && (value.channel ?? undefined) !== before.channel && { channel: value.channel ?? undefined }),
      };
      if (Object.keys(patch).length === 0) return before;
      const full = { ...patch, updatedAt: deps.clock() };
      const expected = JSON.parse(JSON.stringify({ ...before, ...full, version: before.version + 1 }), (k, v: unknown) => (k === 'createdAt' || k === 'updatedAt' ? new Date(v as string) : v)) as ReportSchedule;
      const commit = await scheduleCommit(deps, actor, 'UPDATE', 'schedule.report_updated', expected, { before, after: expected });
      const after = await deps.store.reportSchedules.update(key, before.version, full, commit);
      if (!after) continue;
      committed(deps, commit);
      await deps.events.publish({ type: 'report_schedule.updated', schedule: after, previous: before });
      return after;
    }
    throw new ServiceError('conflict', `report schedule ${key} is being changed by someone else right now; try again`);
  });
}

/** Stops a scheduled report; audited with its before image. */
export async function deleteReportSchedule(deps: ServiceDeps, id: string, actor: Actor): Promise<ReportSchedule> {
  const key = id.trim().toLowerCase();
  return auditRefusals(deps, actor, 'DELETE', key, async () => {
    await requireManager(deps, actor, 'DELETE', key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const before = await deps.store.reportSchedules.findById(key);
      if (!before) throw new ServiceError('not_found', `no report schedule ${key}`);
      const commit = await scheduleCommit(deps, actor, 'DELETE', 'schedule.report_deleted', before, { before, after: null });
      if (!(await deps.store.reportSchedules.delete(key, before.version, commit))) continue;
      committed(deps, commit);
      await deps.events.publish({ type: 'report_schedule.deleted', schedule: before });
      return before;
    }
    throw new ServiceError('conflict', `report schedule ${key} is being changed by someone else right now; try again`);
  });
}

/** Every schedule, by id, with when it next posts. */
export async function listReportSchedules(deps: ServiceDeps, actor: Actor): Promise<ListedReportSchedule[]> {
  await permit(deps, actor, 'reportSchedule.manage');
  const now = deps.clock();
  return (await deps.store.reportSchedules.list()).map((schedule) => ({
    schedule,
    nextRunAt: nextOccurrences(schedule.cron, schedule.timezone, now, 1)[0]!,
  }));
}

async function requireManager(deps: ServiceDeps, actor: Actor, eventType: string, object: string): Promise<void> {
  await authorise(deps, actor, 'reportSchedule.manage', {}, { eventType, class: 'REPORT_SCHEDULE', object });
}

/** The schedule's audit record (with its images) and its announcement to the audit channel. */
async function scheduleCommit(
  deps: ServiceDeps,
  actor: Actor,
  eventType: 'CREATE' | 'UPDATE' | 'DELETE',
  type: NotificationType,
  schedule: ReportSchedule,
  images: { before: ReportSchedule | null; after: ReportSchedule | null },
): Promise<Commit> {
  return new CommitBuilder(deps, actor)
    .audit({ status: 'S', eventType, class: 'REPORT_SCHEDULE', object: schedule.id, images })
    .notify(announcement(deps, type, schedule, actor))
    .build();
}

function announcement(deps: ServiceDeps, type: NotificationType, schedule: ReportSchedule, actor: Actor) {
  return {
    type,
    audience: [AUDIT],
    data: {
      actor: actor.userId,
      details: {
        name: schedule.id,
        period: schedule.period,
        schedule: schedule.cron,
        timezone: schedule.timezone,
        channel: schedule.channel,
        ...(type !== 'schedule.report_deleted' && {
          nextRuns: nextOccurrences(schedule.cron, schedule.timezone, deps.clock(), 3).map((d) => d.toISOString()),
        }),
      },
    },
    dedupeKey: `${type}:${schedule.id}:${schedule.version}:${schedule.updatedAt.toISOString()}`,
  };
}

/** Refusals are audited too (status D), then passed on. */
async function auditRefusals<T>(deps: ServiceDeps, actor: Actor, eventType: string, object: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ServiceError && error.kind === 'forbidden' && !error.audited) {
      await deps.audit.record(actor, { status: 'D', eventType, class: 'REPORT_SCHEDULE', object, details: error.message });
      error.audited = true;
    }
    throw error;
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) fields[key] ??= 'is not a field of a report schedule';
    else fields[formatPath(issue.path.slice(0, 1)) || 'input'] ??= issue.message;
  }
  throw invalid(fields);
}

function invalid(fields: Record<string, string>): ServiceError {
  const message = Object.entries(fields)
    .map(([field, problem]) => `${field}: ${problem}`)
    .join('; ');
  return new ServiceError('invalid', message, fields);
}
