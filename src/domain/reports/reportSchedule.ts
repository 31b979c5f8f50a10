import { CronExpressionParser } from 'cron-parser';

/** How much time one scheduled report covers, ending when it runs. */
export const REPORT_PERIODS = ['daily', 'weekly'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

export const PERIOD_MS: Readonly<Record<ReportPeriod, number>> = {
  daily: 24 * 3600 * 1000,
  weekly: 7 * 24 * 3600 * 1000,
};

/** A report posted on a cron schedule, e.g. every weekday at 08:00 Europe/Paris. */
export interface ReportSchedule {
  /** Short name chosen by its author (`ops-daily`), used to update or delete it. */
  readonly id: string;
  readonly period: ReportPeriod;
  /** Five fields: minute hour day-of-month month day-of-week. */
  readonly cron: string;
  /** IANA time zone the cron is read in. */
  readonly timezone: string;
  /** Slack channel id to post to; absent: the policy's audit channel. */
  readonly channel?: string | undefined;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Incremented on every write; writes are conditional on it. */
  readonly version: number;
}

/** The canonical IANA name (`europe/paris` -> `Europe/Paris`), or null when unknown. */
export function canonicalTimeZone(name: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/**
 * Why a cron expression is unusable, or null. Exactly five fields are required: the parser
 * would otherwise read four fields or a seconds field in ways nobody meant.
 */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  }
  try {
    CronExpressionParser.parse(cron.trim(), { strict: false });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The next `count` times the schedule fires after `after`. */
export function nextOccurrences(cron: string, timezone: string, after: Date, count: number): Date[] {
  const expression = CronExpressionParser.parse(cron, { currentDate: after, tz: timezone });
  return Array.from({ length: count }, () => expression.next().toDate());
}

/**
 * The period a run at `now` reports on: it ends at the schedule's latest occurrence (so a
 * retried or late run reports the same period as the punctual one would have).
 */
export function reportedPeriod(schedule: Pick<ReportSchedule, 'cron' | 'timezone' | 'period'>, now: Date): { since: Date; until: Date } {
  // +1 ms: a run at the very millisecond of an occurrence reports the period ending then.
  const expression = CronExpressionParser.parse(schedule.cron, { currentDate: new Date(now.getTime() + 1), tz: schedule.timezone });
  const until = expression.prev().toDate();
  return { since: new Date(until.getTime() - PERIOD_MS[schedule.period]), until };
}
