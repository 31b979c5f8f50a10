import { reportedPeriod } from '../../domain/reports/reportSchedule.js';
import type { Notifier } from '../notifications/notifier.js';
import { DONE, skipped, type TimedStepResult } from '../changes/timedStepResult.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { buildPeriodReport } from './periodReport.js';
import type { PeriodReportFormatter } from './periodReportFormat.js';

/**
 * A scheduled report's run: the period ending at the schedule's latest occurrence, posted to
 * its channel (the audit channel unless it names one). A retried or duplicate run reports the
 * same period under the same key, so it is posted once.
 */
export async function postScheduledReport(
  deps: ServiceDeps,
  notifier: Notifier,
  formatter: PeriodReportFormatter,
  scheduleId: string,
): Promise<TimedStepResult> {
  const schedule = await deps.store.reportSchedules.findById(scheduleId);
  if (!schedule) return skipped(`report schedule ${scheduleId} no longer exists`, { obsolete: true });
  const period = reportedPeriod(schedule, deps.clock());
  const report = await buildPeriodReport(deps, period);
  const title = `${schedule.period === 'daily' ? 'Daily' : 'Weekly'} report ${schedule.id}`;
  const slack = formatter.slack(report, { title, timezone: schedule.timezone });
  await notifier.notify({
    type: 'schedule.report',
    audience: [schedule.channel ? { slackChannel: schedule.channel } : { role: 'audit' }],
    data: {
      details: {
        scheduleId: schedule.id,
        title,
        period: slack.periodLabel,
        since: period.since.toISOString(),
        until: period.until.toISOString(),
        lines: slack.lines,
        text: slack.text,
        blocks: slack.blocks,
        chainIntact: report.chain.ok,
      },
    },
    dedupeKey: `schedule.report:${schedule.id}:${period.until.toISOString()}`,
  });
  return DONE;
}
