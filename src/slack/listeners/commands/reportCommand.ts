import { readPeriodReport } from '../../../services/reports/readPeriodReport.js';
import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import type { CommandRequest } from './commandRequest.js';
import { manageReportSchedules } from './reportScheduleCommand.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const USAGE = 'Usage: `/change report [--since 7d]` (a duration in m, h, d or w, or a date like 2026-11-01)';

/** `--since 7d` / `--since 2026-11-01`: the start of the period; it ends now. Default: 7 days. */
export function parseReportSince(args: readonly string[], now: Date): Date | { problem: string } {
  if (args.length === 0) return new Date(now.getTime() - 7 * UNITS.d!);
  const [flag, value, ...extra] = args;
  if (flag !== '--since' || value === undefined || extra.length > 0) return { problem: USAGE };
  const relative = /^(\d{1,4})([mhdw])$/.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNITS[relative[2]!]!);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?Z?$/.test(value)) {
    const date = new Date(value.replace(' ', 'T'));
    if (!Number.isNaN(date.getTime())) return date;
  }
  return { problem: `--since: expected a duration like 7d or a date like 2026-11-01, got "${escapeMrkdwn(value.slice(0, 40))}". ${USAGE}` };
}

/** `/change report [--since 7d]`: the period summary, for auditors, security and admins. */
export async function reportPeriod(request: CommandRequest): Promise<void> {
  if (request.args[0] === 'schedule') {
    await manageReportSchedules(request);
    return;
  }
  const { deps } = request.context;
  const now = deps.clock();
  const since = parseReportSince(request.args, now);
  if (!(since instanceof Date)) {
    await request.reply({ text: since.problem });
    return;
  }
  const report = await readPeriodReport(deps, request.who.actor, { since, until: now });
  const { policy } = await deps.policies.current();
  // The scheduled report's own template (templates/reports/periodReport.slack.hbs): one wording for both.
  const slack = request.context.reports.slack(report, { title: 'Report', timezone: policy.settings.timezone });
  await request.reply({ text: `Report: ${report.changes.total} changes, ${report.commands.blocked} blocked commands`, blocks: slack.blocks as never });
}
