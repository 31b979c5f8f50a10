import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { CHANGE_CODE_PATTERN } from '../../domain/change/changeCode.js';
import { startOfNextDay, wallTimeToDate } from '../../domain/time/wallTime.js';
import { MAX_SEARCH_TEXT, searchCommands, VERDICT_FILTERS, type CommandSearchInput } from '../../services/search/searchCommands.js';
import { actorOf } from '../http/actorOf.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { pageLinks, pageNumber } from '../http/pagination.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const PAGE_SIZE = 50;
const empty = z.literal('');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD');
const policyId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'expected an id of the policy');
const searchQuery = z.strictObject({
  q: z.string().max(MAX_SEARCH_TEXT, `must be at most ${MAX_SEARCH_TEXT} characters`).optional(),
  user: policyId.or(empty).optional(),
  device: policyId.or(empty).optional(),
  change: z.string().transform((v) => v.trim().toUpperCase()).pipe(z.string().regex(CHANGE_CODE_PATTERN, 'expected a change code such as CHG-42')).or(empty).optional(),
  verdict: z.enum(VERDICT_FILTERS).or(empty).optional(),
  from: day.or(empty).optional(),
  to: day.or(empty).optional(),
  page: pageNumber,
});
type SearchQuery = z.output<typeof searchQuery>;

const VERDICT_LABELS: Readonly<Record<(typeof VERDICT_FILTERS)[number], string>> = {
  executed: 'executed (allowed)',
  refused: 'refused (blocked or interrupted)',
  allow: 'allow',
  block: 'block',
  interrupt: 'interrupt',
};

/** Days in the policy's zone: from the start of `from` to the end of `to`. */
function dayRange(query: SearchQuery, timezone: string): Pick<CommandSearchInput, 'since' | 'until'> {
  const since = query.from ? wallTimeToDate(query.from, timezone) : undefined;
  if (since === null) throw new HttpRefusal(400, `query parameter from: ${query.from} is not a real date`);
  const until = query.to ? startOfNextDay(query.to, timezone) : undefined;
  if (until === null) throw new HttpRefusal(400, `query parameter to: ${query.to} is not a real date`);
  if (since && until && until <= since) throw new HttpRefusal(400, 'query parameter to: must not be before from');
  return { since, until };
}

/**
 * Command search: the executed and refused commands of every session (auditors, security,
 * admins) or of one's own (everyone else), by words of the line, user, server, change,
 * verdict and days; pages of 50, newest first. Each search is audited by the service.
 */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/commands', requireViewer, async function showCommandSearch(req: Request, res: Response) {
    const query = parseInput(searchQuery, req.query, 'query');
    const { user } = signedIn(res);
    const { policy } = await ctx.deps.policies.current();
    const timezone = policy.settings.timezone;
    const result = await searchCommands(ctx.deps, actorOf(req, user.id), {
      text: query.q,
      user: query.user || undefined,
      device: query.device || undefined,
      change: query.change || undefined,
      verdict: query.verdict || undefined,
      ...dayRange(query, timezone),
      page: query.page,
      pageSize: PAGE_SIZE,
    });
    const shown: Record<string, string | undefined> = {
      q: query.q?.trim() || undefined,
      user: query.user || undefined,
      device: query.device || undefined,
      change: query.change || undefined,
      verdict: query.verdict || undefined,
      from: query.from || undefined,
      to: query.to || undefined,
    };
    await renderPage(ctx, req, res, 'commandSearch', {
      title: 'Command search',
      filters: shown,
      own: result.scope === 'own',
      words: result.words,
      records: result.records,
      verdicts: VERDICT_FILTERS.map((value) => ({ value, label: VERDICT_LABELS[value], selected: value === query.verdict })),
      users: result.scope === 'all' ? policy.users.map((u) => u.id) : [],
      devices: policy.devices.map((d) => d.id),
      timezone,
      pages: pageLinks('/commands', shown, result.page, result.hasMore),
    });
  });
}
