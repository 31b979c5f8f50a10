import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import {
  createReportSchedule,
  deleteReportSchedule,
  listReportSchedules,
  updateReportSchedule,
} from '../../../services/reports/reportSchedules.js';
import type { CommandRequest } from './commandRequest.js';

export const REPORT_SCHEDULE_USAGE = [
  'Usage:',
  '`/change report schedule list`',
  '`/change report schedule add id=weekly-ops period=weekly cron="0 8 * * 1" [tz=Europe/Paris] [channel=C01AUDIT]`',
  '`/change report schedule update weekly-ops [period=daily] [cron="0 7 * * *"] [tz=UTC] [channel=C01AUDIT|default]`',
  '`/change report schedule remove weekly-ops`',
].join('\n');

const KEYS = new Set(['id', 'period', 'cron', 'tz', 'channel']);

/** `key=value` words; values with spaces (cron) are quoted: `cron="0 8 * * 1"`. */
export function parseSettings(text: string): Record<string, string> | { problem: string } {
  const settings: Record<string, string> = {};
  const word = /\s*([a-z]+)=(?:"([^"]*)"|(\S+))/y;
  let at = 0;
  while (at < text.length) {
    if (text.slice(at).trim() === '') break;
    word.lastIndex = at;
    const match = word.exec(text);
    if (!match) return { problem: `cannot read "${escapeMrkdwn(text.slice(at).trim().slice(0, 40))}": expected key=value` };
    const key = match[1]!;
    if (!KEYS.has(key)) return { problem: `unknown setting "${escapeMrkdwn(key)}" (expected id, period, cron, tz or channel)` };
    settings[key] = match[2] ?? match[3] ?? '';
    at = word.lastIndex;
  }
  return settings;
}

/** `/change report schedule ...`: the Slack face of the report-schedule services. */
export async function manageReportSchedules(request: CommandRequest): Promise<void> {
  const { deps } = request.context;
  const actor = request.who.actor;
  const [, action = 'list', target] = request.args;
  const afterAction = request.rest.replace(/^schedule\s*/, '').replace(/^\S+\s*/, '');
  switch (action) {
    case 'list': {
      const listed = await listReportSchedules(deps, actor);
      const lines = listed.map(
        ({ schedule, nextRunAt }) =>
          `• *${escapeMrkdwn(schedule.id)}*: ${schedule.period} report, \`${escapeMrkdwn(schedule.cron)}\` (${escapeMrkdwn(schedule.timezone)}), next ${nextRunAt.toISOString()}`,
      );
      await request.reply({ text: lines.length ? lines.join('\n') : 'No scheduled reports.' });
      return;
    }
    case 'add': {
      const settings = parseSettings(afterAction);
      if ('problem' in settings) return void (await request.reply({ text: `${settings.problem}\n${REPORT_SCHEDULE_USAGE}` }));
      const created = await createReportSchedule(
        deps,
        { id: settings.id ?? '', period: settings.period as 'daily', cron: settings.cron ?? '', timezone: settings.tz, channel: settings.channel },
        actor,
      );
      await request.reply({ text: `Scheduled report *${escapeMrkdwn(created.id)}* created.` });
      return;
    }
    case 'update': {
      if (!target) return void (await request.reply({ text: REPORT_SCHEDULE_USAGE }));
      const settings = parseSettings(afterAction.replace(/^\S+\s*/, ''));
      if ('problem' in settings) return void (await request.reply({ text: `${settings.problem}\n${REPORT_SCHEDULE_USAGE}` }));
      if ('id' in settings) return void (await request.reply({ text: 'A schedule keeps its id; remove it and add a new one to rename it.' }));
      const updated = await updateReportSchedule(
        deps,
        target,
        {
          ...(settings.period !== undefined && { period: settings.period as 'daily' }),
          ...(settings.cron !== undefined && { cron: settings.cron }),
          ...(settings.tz !== undefined && { timezone: settings.tz }),
          ...(settings.channel !== undefined && { channel: settings.channel === 'default' ? null : settings.channel }),
        },
        actor,
      );
      await request.reply({ text: `Scheduled report *${escapeMrkdwn(updated.id)}* updated.` });
      return;
    }
    case 'remove': {
      if (!target) return void (await request.reply({ text: REPORT_SCHEDULE_USAGE }));
      const removed = await deleteReportSchedule(deps, target, actor);
      await request.reply({ text: `Scheduled report *${escapeMrkdwn(removed.id)}* removed.` });
      return;
    }
    default:
      await request.reply({ text: REPORT_SCHEDULE_USAGE });
  }
}
