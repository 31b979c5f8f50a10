import { createHash } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { exportPeriodReport, readPeriodReport, type ReportExportFormat } from '../../services/reports/readPeriodReport.js';
import { actorOf } from '../http/actorOf.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import { dateToWallDate, startOfNextDay, wallTimeToDate } from '../../domain/time/wallTime.js';
import type { PortalContext } from '../portalContext.js';

const DAY_MS = 24 * 3600 * 1000;
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD');
const periodQuery = z.strictObject({ from: day.optional(), to: day.optional() });

/** The form's days in the policy's zone: from the start of `from` to the end of `to`. Default: the last 7 days. */
function periodOf(query: z.output<typeof periodQuery>, timezone: string, now: Date): { from: string; to: string; since: Date; until: Date } {
  const to = query.to ?? dateToWallDate(now, timezone);
  const from = query.from ?? dateToWallDate(new Date(now.getTime() - 7 * DAY_MS), timezone);
  const since = wallTimeToDate(from, timezone);
  if (!since) throw new HttpRefusal(400, `query parameter from: ${from} is not a real date`);
  if (!wallTimeToDate(to, timezone)) throw new HttpRefusal(400, `query parameter to: ${to} is not a real date`);
  // The period ends when the day after `to` begins (in the zone: a daylight-saving day keeps its length).
  const until = startOfNextDay(to, timezone)!;
  if (until <= since) throw new HttpRefusal(400, 'query parameter to: must not be before from');
  return { from, to, since, until };
}

/**
 * The printable report is the admins' template (templates/reports/periodReport.html.hbs), a
 * whole document with its own <style>: its CSP allows exactly those style blocks, by hash,
 * and nothing else (no script, no fetch, no form).
 */
function standaloneCsp(html: string): string {
  const hashes = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1] ?? '').digest('base64')}'`);
  return [`default-src 'none'`, `style-src ${hashes.join(' ') || "'none'"}`, `img-src data:`, `frame-ancestors 'none'`, `base-uri 'none'`, `form-action 'none'`].join('; ');
}

/** Period reports on the web: a date range, a summary, the printable report and its exports. */
export function register(router: Router, ctx: PortalContext): void {
  async function setUp(req: Request, res: Response) {
    const query = parseInput(periodQuery, req.query, 'query');
    const { user } = signedIn(res);
    const { policy } = await ctx.deps.policies.current();
    const timezone = policy.settings.timezone;
    return { user, timezone, period: periodOf(query, timezone, ctx.deps.clock()) };
  }

  router.get('/reports', requireViewer, async function showReports(req: Request, res: Response) {
    const { user, timezone, period } = await setUp(req, res);
    const report = await readPeriodReport(ctx.deps, actorOf(req, user.id), period);
    const range = new URLSearchParams({ from: period.from, to: period.to }).toString();
    await renderPage(ctx, req, res, 'reports', {
      title: 'Period report',
      period,
      timezone,
      report,
      byStatus: Object.entries(report.changes.byStatus).map(([status, count]) => ({ status, count })),
      links: {
        print: `/reports/period?${range}`,
        html: `/reports/period.html?${range}`,
        json: `/reports/period.json?${range}`,
      },
      available: ctx.reports !== undefined,
    });
  });

  async function exported(req: Request, res: Response, format: ReportExportFormat | 'print') {
    const { user, timezone, period } = await setUp(req, res);
    if (format !== 'json' && !ctx.reports) throw new HttpRefusal(503, 'the printable report is not available on this server');
    const report = await exportPeriodReport(ctx.deps, actorOf(req, user.id), period, format === 'json' ? 'json' : 'html');
    const name = `changeguard-report-${period.from}-to-${period.to}`;
    res.set('Cache-Control', 'no-store');
    if (format === 'json') {
      res.set('Content-Disposition', `attachment; filename="${name}.json"`);
      res.type('application/json').send(`${JSON.stringify({ timezone, ...report }, null, 2)}\n`);
      return;
    }
    const html = ctx.reports!.html(report, { title: `changeguard report ${period.from} to ${period.to}`, timezone });
    res.set('Content-Security-Policy', standaloneCsp(html));
    if (format === 'html') res.set('Content-Disposition', `attachment; filename="${name}.html"`);
    res.type('html').send(html);
  }

  router.get('/reports/period', requireViewer, (req: Request, res: Response) => exported(req, res, 'print'));
  router.get('/reports/period.html', requireViewer, (req: Request, res: Response) => exported(req, res, 'html'));
  router.get('/reports/period.json', requireViewer, (req: Request, res: Response) => exported(req, res, 'json'));
}
