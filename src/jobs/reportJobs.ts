import type { Job } from 'agenda';
import type { ReportSchedule } from '../domain/reports/reportSchedule.js';
import type { PeriodReportFormatter } from '../services/reports/periodReportFormat.js';
import { postScheduledReport } from '../services/reports/postScheduledReport.js';
import { settle, type JobContext } from './changeJobs.js';
import { REPORT_JOB_NAMES, parseJobData, reportJobDataSchema, type ReportJobData } from './jobNames.js';
import { jobBackoff } from './jobRetry.js';

const REPORT_NAMES: readonly string[] = Object.values(REPORT_JOB_NAMES);

/** Reports read a whole period of records: they get a longer lock than the quick steps. */
const REPORT_LOCK_LIFETIME_MS = 15 * 60_000;

export function defineReportJobs(context: JobContext, formatter: PeriodReportFormatter): void {
  for (const name of REPORT_NAMES) {
    context.agenda.define<ReportJobData>(
      name,
      async (job: Job<ReportJobData>) => {
        const { scheduleId } = parseJobData(reportJobDataSchema, name, job.attrs.data);
        const result = await postScheduledReport(context.deps, context.notifier, formatter, scheduleId);
        await settle(context, job, result, { job: name, schedule: scheduleId });
      },
      { backoff: jobBackoff(context.settings.retry), lockLifetime: Math.max(REPORT_LOCK_LIFETIME_MS, context.settings.lockLifetimeMs) },
    );
  }
}

/**
 * One repeating job per schedule, on its cron in its time zone, unique by schedule id; a
 * schedule that changed period moves to the other job name.
 */
export async function planReportJob(context: JobContext, schedule: ReportSchedule): Promise<void> {
  const name = REPORT_JOB_NAMES[schedule.period];
  await context.agenda.cancel({ names: REPORT_NAMES.filter((n) => n !== name), data: { scheduleId: schedule.id } });
  const job = context.agenda.create<ReportJobData>(name, { scheduleId: schedule.id });
  await job.repeatEvery(schedule.cron, { timezone: schedule.timezone, skipImmediate: true }).unique({ 'data.scheduleId': schedule.id }).save();
}

export async function cancelReportJob(context: JobContext, scheduleId: string): Promise<void> {
  await context.agenda.cancel({ names: [...REPORT_NAMES], data: { scheduleId } });
}

/** After a restart: every schedule has its job, on its current cron; jobs of deleted schedules go. */
export async function reconcileReportJobs(context: JobContext): Promise<void> {
  const schedules = await context.deps.store.reportSchedules.list();
  const { jobs } = await context.agenda.queryJobs({ names: [...REPORT_NAMES] });
  const stale = jobs.filter((job) => {
    const id = (job.data as { scheduleId?: unknown } | null)?.scheduleId;
    const schedule = schedules.find((s) => s.id === id);
    return !schedule || REPORT_JOB_NAMES[schedule.period] !== job.name;
  });
  if (stale.length > 0) await context.agenda.cancel({ ids: stale.map((job) => job._id) });
  for (const schedule of schedules) {
    const job = jobs.find((j) => j.name === REPORT_JOB_NAMES[schedule.period] && (j.data as { scheduleId?: unknown } | null)?.scheduleId === schedule.id);
    // Kept as is when current: re-saving would move a run missed while down past its time.
    if (job && job.repeatInterval === schedule.cron && job.repeatTimezone === schedule.timezone) continue;
    await planReportJob(context, schedule);
  }
}
