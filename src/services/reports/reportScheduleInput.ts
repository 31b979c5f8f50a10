import { z } from 'zod';
import { REPORT_PERIODS, canonicalTimeZone, cronProblem } from '../../domain/reports/reportSchedule.js';

export const REPORT_SCHEDULE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

const cron = z
  .string({ message: 'is required' })
  .trim()
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `is not a cron expression: ${problem}` });
  });

const timezone = z
  .string({ message: 'is required' })
  .trim()
  .transform((value, ctx) => {
    const canonical = canonicalTimeZone(value);
    if (!canonical) {
      ctx.addIssue({ code: 'custom', message: `is not an IANA time zone (such as Europe/Paris or UTC): "${value}"` });
      return z.NEVER;
    }
    return canonical;
  });

const channel = z
  .string()
  .trim()
  .regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C01AUDIT')
  .optional();

/** What `/change report schedule add ...` and the web form send. */
export const reportScheduleInputSchema = z.object({
  id: z
    .string({ message: 'is required' })
    .trim()
    .toLowerCase()
    .regex(REPORT_SCHEDULE_ID_PATTERN, 'must be 1 to 40 letters, digits or dashes, starting with a letter or digit'),
  period: z.enum(REPORT_PERIODS, { message: `expected ${REPORT_PERIODS.join(' or ')}` }),
  cron,
  /** Absent: the policy's `settings.timezone`. */
  timezone: timezone.optional(),
  channel,
});

/** An update names the fields it changes; `channel: null` goes back to the audit channel. */
export const reportScheduleChangesSchema = z
  .object({
    period: z.enum(REPORT_PERIODS, { message: `expected ${REPORT_PERIODS.join(' or ')}` }).optional(),
    cron: cron.optional(),
    timezone: timezone.optional(),
    channel: channel.nullable(),
  })
  .strict();

export type ReportScheduleInput = z.input<typeof reportScheduleInputSchema>;
export type ReportScheduleChanges = z.input<typeof reportScheduleChangesSchema>;
