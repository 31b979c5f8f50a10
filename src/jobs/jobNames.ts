import { z } from 'zod';
import { TIMED_STEPS, type TimedStep } from '../domain/change/changeTimeline.js';
import type { ReportPeriod } from '../domain/reports/reportSchedule.js';

/** One Agenda job per timed step of a change, named after it, keyed by the change code. */
export const CHANGE_JOB_NAMES: readonly TimedStep[] = TIMED_STEPS;

/** One repeating Agenda job per report schedule, keyed by the schedule id. */
export const REPORT_JOB_NAMES = { daily: 'report-daily', weekly: 'report-weekly' } as const satisfies Record<ReportPeriod, string>;

export const changeJobDataSchema = z.object({ code: z.string().min(1) });
export type ChangeJobData = z.infer<typeof changeJobDataSchema>;

export const reportJobDataSchema = z.object({ scheduleId: z.string().min(1) });
export type ReportJobData = z.infer<typeof reportJobDataSchema>;

/** A job whose stored data is not what its definition expects: retrying cannot help. */
export class InvalidJobDataError extends Error {
  constructor(jobName: string, problem: string) {
    super(`job ${jobName} has invalid data: ${problem}`);
    this.name = 'InvalidJobDataError';
  }
}

export function parseJobData<T>(schema: z.ZodType<T>, jobName: string, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new InvalidJobDataError(jobName, parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; '));
  return parsed.data;
}
