import type { z } from 'zod';
import { nextOccurrences, type ReportSchedule } from '../../domain/reports/reportSchedule.js';
import { formatPath } from '../../domain/validation/formatIssue.js';
import type { Notifier, NotificationType } from '../../notify/notification.js';
import type { ReportSchedulePatch } from '../../store/reportScheduleRepository.js';
import { DuplicateKeyError } from '../../store/storeErrors.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { reportScheduleChangesSchema, reportScheduleInputSchema, type ReportScheduleChanges, type ReportScheduleInput } from './reportScheduleInput.js';

/** Who may see and manage scheduled reports. */
const MANAGER_ROLES = ['admin', 'auditor'] as const;
const MAX_ATTEMPTS = 20;

export interface ListedReportSchedule {
  readonly schedule: ReportSchedule;
  /** When it next posts. */
  readonly nextRunAt: Date;
}

/** Schedules a report; audited with its after image, announced to the audit channel. */
export async function createReportSchedule(deps: ServiceDeps, notifier: Notifier, input: ReportScheduleInput, actor: Actor): Promise<ReportSchedule> {
  const id = typeof input.id === 'string' ? input.id.trim().toLowerCase() : '';
  return auditRefusals(deps, actor, 'CREATE', id, async () => {
    await requireManager(deps, actor);
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
    try {
      await deps.store.reportSchedules.create(schedule);
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw invalid({ id: `${value.id} is already taken` });
      throw error;
    }
    const stored = (await deps.store.reportSchedules.findById(schedule.id)) ?? schedule;
    await deps.audit.record(actor, { status: 'S', eventType: 'CREATE', class: 'REPORT_SCHEDULE', object: stored.id, images: { before: null, after: stored } });
    await deps.events.publish({ type: 'report_schedule.created', schedule: stored });
    await announce(deps, notifier, 'schedule.report_created', stored, actor);
    return stored;
  });
}

/** Changes a schedule's period, cron, time zone or channel; audited with before and after images. */
export async function updateReportSchedule(
  deps: ServiceDeps,
  notifier: Notifier,
  id: string,
  changes: ReportScheduleChanges,
  actor: Actor,
): Promise<ReportSchedule> {
  const key = id.trim().toLowerCase();
  return auditRefusals(deps, actor, 'UPDATE', key, async () => {
    await requireManager(deps, actor);
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
      const after = await deps.store.reportSchedules.update(key, before.version, { ...patch, updatedAt: deps.clock() });
      if (!after) continue;
      await deps.audit.record(actor, { status: 'S', eventType: 'UPDATE', class: 'REPORT_SCHEDULE', object: key, images: { before, after } });
      await deps.events.publish({ type: 'report_schedule.updated', schedule: after, previous: before });
      await announce(deps, notifier, 'schedule.report_updated', after, actor);
      return after;
    }
    throw new ServiceError('conflict', `report schedule ${key} is being changed by someone else right now; try again`);
  });
}

/** Stops a scheduled report; audited with its before image. */
export async function deleteReportSchedule(deps: ServiceDeps, notifier: Notifier, id: string, actor: Actor): Promise<ReportSchedule> {
  const key = id.trim().toLowerCase();
  return auditRefusals(deps, actor, 'DELETE', key, async () => {
    await requireManager(deps, actor);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const before = await deps.store.reportSchedules.findById(key);
      if (!before) throw new ServiceError('not_found', `no report schedule ${key}`);
      if (!(await deps.store.reportSchedules.delete(key, before.version))) continue;
      await deps.audit.record(actor, { status: 'S', eventType: 'DELETE', class: 'REPORT_SCHEDULE', object: key, images: { before, after: null } });
      await deps.events.publish({ type: 'report_schedule.deleted', schedule: before });
      await announce(deps, notifier, 'schedule.report_deleted', before, actor);
      return before;
    }
    throw new ServiceError('conflict', `report schedule ${key} is being changed by someone else right now; try again`);
  });
}

/** Every schedule, by id, with when it next posts. */
export async function listReportSchedules(deps: ServiceDeps, actor: Actor): Promise<ListedReportSchedule[]> {
  await requireManager(deps, actor);
  const now = deps.clock();
  return (await deps.store.reportSchedules.list()).map((schedule) => ({
    schedule,
    nextRunAt: nextOccurrences(schedule.cron, schedule.timezone, now, 1)[0]!,
  }));
}

async function requireManager(deps: ServiceDeps, actor: Actor): Promise<void> {
  const user = await deps.policies.user(actor.userId);
  if (!user || !user.roles.some((role) => (MANAGER_ROLES as readonly string[]).includes(role))) {
    throw new ServiceError('forbidden', `${actor.userId} may not manage scheduled reports (admin or auditor role)`);
  }
}

async function announce(deps: ServiceDeps, notifier: Notifier, type: NotificationType, schedule: ReportSchedule, actor: Actor): Promise<void> {
  await notifier.notify({
    type,
    audience: [{ role: 'audit' }],
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
  });
}

/** Refusals are audited too (status D), then passed on. */
async function auditRefusals<T>(deps: ServiceDeps, actor: Actor, eventType: string, object: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ServiceError && error.kind === 'forbidden') {
      await deps.audit.record(actor, { status: 'D', eventType, class: 'REPORT_SCHEDULE', object, details: error.message });
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
