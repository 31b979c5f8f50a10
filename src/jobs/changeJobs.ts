import type { Agenda, Job, JobParameters } from 'agenda';
import type { Change } from '../domain/change/change.js';
import { changeTimeline, type ScheduledStep, type TimedStep } from '../domain/change/changeTimeline.js';
import type { Logger } from '../logger.js';
import type { Notifier } from '../services/notifications/notifier.js';
import { announceWindowOpen } from '../services/changes/announceWindowOpen.js';
import { closeChangeWindow } from '../services/changes/closeChangeWindow.js';
import { expireUnapprovedChange } from '../services/changes/expireUnapprovedChange.js';
import { remindApprovers } from '../services/changes/remindApprovers.js';
import type { TimedStepResult } from '../services/changes/timedStepResult.js';
import { warnWindowExpiring } from '../services/changes/warnWindowExpiring.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import { CHANGE_JOB_NAMES, changeJobDataSchema, parseJobData, type ChangeJobData } from './jobNames.js';
import { jobBackoff } from './jobRetry.js';
import type { SchedulerSettings } from './schedulerSettings.js';

export interface JobContext {
  readonly agenda: Agenda;
  readonly deps: ServiceDeps;
  readonly notifier: Notifier;
  readonly settings: SchedulerSettings;
  readonly logger: Logger;
}

/** What each change job does: one service call, on the change its data names. */
const STEPS: Readonly<Record<TimedStep, (context: JobContext, code: string) => Promise<TimedStepResult>>> = {
  'approval-reminder': ({ deps, settings }, code) =>
    remindApprovers(deps, code, { everyMs: settings.reminderEveryMs, escalateAfter: settings.escalateAfter }),
  'approval-expire': ({ deps }, code) => expireUnapprovedChange(deps, code),
  'window-open': ({ deps, notifier }, code) => announceWindowOpen(deps, notifier, code),
  'window-expiring': ({ deps, notifier, settings }, code) => warnWindowExpiring(deps, notifier, code, { leadMs: settings.expiringLeadMs }),
  'window-close': ({ deps }, code) => closeChangeWindow(deps, code),
};

export function defineChangeJobs(context: JobContext): void {
  for (const name of CHANGE_JOB_NAMES) {
    context.agenda.define<ChangeJobData>(
      name,
      async (job: Job<ChangeJobData>) => {
        const { code } = parseJobData(changeJobDataSchema, name, job.attrs.data);
        const result = await STEPS[name](context, code);
        await settle(context, job, result, { job: name, code });
      },
      { backoff: jobBackoff(context.settings.retry), lockLifetime: context.settings.lockLifetimeMs },
    );
  }
}

/** Logs what a run did; a repeating job whose step can never apply again is removed. */
export async function settle(context: JobContext, job: Job, result: TimedStepResult, about: Record<string, string>): Promise<void> {
  if (result.done) {
    context.logger.info(about, 'scheduled step done');
    return;
  }
  context.logger.debug({ ...about, skipped: result.skipped }, 'scheduled step skipped');
  if (result.obsolete && job.attrs.repeatInterval && job.attrs._id) {
    // Agenda expects a job to be removed while it runs (its final state save is then skipped).
    await context.agenda.cancel({ id: job.attrs._id });
  }
}

/**
 * Brings a change's jobs in line with its timeline: due steps are scheduled (one job per
 * step, unique by change code, so a moved window moves the job rather than adding one) and
 * steps that no longer apply are removed, except a job running right now: it is what moved
 * the change on (a close, an expiry), and it finishes on its own.
 */
export async function planChangeJobs(context: JobContext, change: Change, mode: 'replace' | 'reconcile'): Promise<void> {
  const timeline = changeTimeline(change, context.settings);
  const existing =
    mode === 'reconcile' || timeline.cancel.length > 0
      ? (await context.agenda.queryJobs({ names: [...CHANGE_JOB_NAMES], data: { code: change.code } })).jobs
      : [];
  for (const step of timeline.schedule) {
    const current = existing.find((job) => job.name === step.step);
    if (mode === 'reconcile' && current && matchesPlan(current, step)) continue;
    await scheduleStep(context.agenda, change.code, step);
  }
  const obsolete = existing.filter((job) => (timeline.cancel as readonly string[]).includes(job.name) && !job.lockedAt);
  if (obsolete.length > 0) await context.agenda.cancel({ ids: obsolete.map((job) => job._id!) });
}

async function scheduleStep(agenda: Agenda, code: string, step: ScheduledStep): Promise<void> {
  const job = agenda.create<ChangeJobData>(step.step, { code });
  if (step.repeat) job.repeatEvery(step.repeat.everyMs).endDate(step.repeat.until);
  await job.schedule(step.at).unique({ 'data.code': code }).save();
}

/** A job already there is left alone when it is due as planned, or is a one-time job that ran. */
function matchesPlan(job: JobParameters, step: ScheduledStep): boolean {
  if (step.repeat) return job.endDate?.getTime() === step.repeat.until.getTime() && job.repeatInterval === step.repeat.everyMs;
  if (job.nextRunAt === null) return job.lastRunAt !== undefined;
  return job.nextRunAt.getTime() === step.at.getTime();
}
