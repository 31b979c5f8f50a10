import { isValidChangeCode, normaliseChangeCode } from '../../../domain/change/changeCode.js';
import { startOfNextDay, WALL_DATE_PATTERN, wallTimeToDate } from '../../../domain/time/wallTime.js';
import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import { searchCommands, VERDICT_FILTERS, type CommandSearchInput, type VerdictFilter } from '../../../services/search/searchCommands.js';
import { commandSearchView } from '../../answerViews.js';
import { answerWith } from './changeCommands.js';
import type { CommandRequest } from './commandRequest.js';

/** Slack answers hold 50 blocks; ten commands read well and the web has the rest. */
const SLACK_PAGE_SIZE = 10;
export const SEARCH_USAGE =
  'Usage: `/change search <words> [user:alice] [server:web01] [change:CHG-42] [verdict:executed|refused|allow|block|interrupt] [since:7d|2026-11-01] [until:2026-11-30]`';
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const FILTER_WORD = /^(user|server|device|change|verdict|since|until):(.*)$/i;

export type ParsedSearch = { readonly input: CommandSearchInput; readonly web: Record<string, string> } | { readonly problem: string };

/**
 * `/change search` text: `key:value` filters and the words to find, in any order. Dates are
 * days in the policy's zone (`until` includes its day) or a duration back from now (`7d`).
 */
export function parseSearchText(words: readonly string[], now: Date, timezone: string): ParsedSearch {
  const text: string[] = [];
  const input: { -readonly [K in keyof CommandSearchInput]: CommandSearchInput[K] } = {};
  const web: Record<string, string> = {};
  for (const word of words) {
    const filter = FILTER_WORD.exec(word);
    if (!filter) {
      text.push(word);
      continue;
    }
    const key = filter[1]!.toLowerCase();
    const value = filter[2]!;
    const shown = escapeMrkdwn(value.slice(0, 40));
    if (value === '') return { problem: `${key}: give a value, like ${key}:${example(key)}. ${SEARCH_USAGE}` };
    if (key === 'user') {
      input.user = value;
      web.user = value;
    } else if (key === 'server' || key === 'device') {
      input.device = value;
      web.device = value;
    } else if (key === 'change') {
      const code = normaliseChangeCode(value);
      if (!isValidChangeCode(code)) return { problem: `change: "${shown}" is not a change code (like CHG-42). ${SEARCH_USAGE}` };
      input.change = code;
      web.change = code;
    } else if (key === 'verdict') {
      const verdict = value.toLowerCase() as VerdictFilter;
      if (!VERDICT_FILTERS.includes(verdict)) return { problem: `verdict: expected ${VERDICT_FILTERS.join(', ')}, got "${shown}"` };
      input.verdict = verdict;
      web.verdict = verdict;
    } else {
      const date = dateOf(value, key === 'until', now, timezone);
      if (!date) return { problem: `${key}: expected a duration like 7d or a day like 2026-11-01, got "${shown}"` };
      input[key as 'since' | 'until'] = date;
      if (WALL_DATE_PATTERN.test(value)) web[key === 'since' ? 'from' : 'to'] = value;
    }
  }
  input.text = text.join(' ');
  if (input.text) web.q = input.text;
  return { input, web };
}

function example(key: string): string {
  return ({ user: 'alice', server: 'web01', device: 'web01', change: 'CHG-42', verdict: 'refused', since: '7d', until: '2026-11-30' } as Record<string, string>)[key] ?? '…';
}

function dateOf(value: string, endOfDay: boolean, now: Date, timezone: string): Date | null {
  const relative = /^(\d{1,4})([mhdw])$/.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNITS[relative[2]!]!);
  if (!WALL_DATE_PATTERN.test(value)) return null;
  return endOfDay ? startOfNextDay(value, timezone) : wallTimeToDate(value, timezone);
}

/** `/change search nginx restart verdict:refused since:7d`: the newest matching commands. */
export async function searchCommandsCommand(request: CommandRequest): Promise<void> {
  const { deps, webLinks } = request.context;
  if (request.args.length === 0) {
    await request.reply({ text: SEARCH_USAGE });
    return;
  }
  const { policy } = await deps.policies.current();
  const parsed = parseSearchText(request.args, deps.clock(), policy.settings.timezone);
  if ('problem' in parsed) {
    await request.reply({ text: parsed.problem });
    return;
  }
  const result = await searchCommands(deps, request.who.actor, { ...parsed.input, page: 1, pageSize: SLACK_PAGE_SIZE });
  await answerWith(request, 'commandSearch', commandSearchView(result, webLinks, webLinks.commandSearch(parsed.web), policy.settings.timezone));
}
