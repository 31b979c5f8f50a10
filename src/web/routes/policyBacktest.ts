import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { dateToWallDate, startOfNextDay, wallTimeToDate } from '../../domain/time/wallTime.js';
import { requireCapability } from '../../services/access/requireCapability.js';
import { backtestPolicy } from '../../services/policy/backtestPolicy.js';
import { PolicyValidationError } from '../../services/policy/policyImport.js';
import { MAX_POLICY_BYTES } from '../../domain/policy/parsePolicy.js';
import { ServiceError } from '../../services/serviceError.js';
import { actorOf } from '../http/actorOf.js';
import { STATUS_OF_KIND } from '../http/errorPages.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const DAY_MS = 24 * 3600_000;
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD');
const noQuery = z.strictObject({});
const backtestForm = z.strictObject({
  _csrf: z.string(),
  // The body limit (3 MB, for 1 MiB URL-encoded) bounds it first; the parser names the size.
  policy: z.string().min(1, 'is empty: paste the draft policy (YAML)'),
  name: z.string().max(100).regex(/^[\w.-]*$/, 'letters, digits, _ . - only').optional(),
  from: day,
  to: day,
});

/**
 * Policy backtest on the web: paste a draft policy, pick days (in the policy's zone), and see
 * which recorded commands it would judge differently, by rule, user and device, with
 * examples. Auditors, security and admins; the draft is never stored.
 */
export function register(router: Router, ctx: PortalContext): void {
  async function show(req: Request, res: Response, form: Record<string, string>, extra: Record<string, unknown> = {}, status = 200) {
    const { policy } = await ctx.deps.policies.current();
    await renderPage(ctx, req, res, 'policyBacktest', { title: 'Policy backtest', form, timezone: policy.settings.timezone, maxKiB: MAX_POLICY_BYTES / 1024, ...extra }, status);
  }

  router.get('/policy/backtest', requireViewer, async function showBacktestForm(req: Request, res: Response) {
    parseInput(noQuery, req.query, 'query');
    requireCapability(signedIn(res).user, 'backtestPolicy');
    const { policy } = await ctx.deps.policies.current();
    const now = ctx.deps.clock();
    const timezone = policy.settings.timezone;
    await show(req, res, { name: 'draft.yml', from: dateToWallDate(new Date(now.getTime() - 30 * DAY_MS), timezone), to: dateToWallDate(now, timezone), policy: '' });
  });

  router.post('/policy/backtest', requireViewer, async function runBacktest(req: Request, res: Response) {
    const form = parseInput(backtestForm, req.body, 'form');
    const { user } = signedIn(res);
    const { policy } = await ctx.deps.policies.current();
    const timezone = policy.settings.timezone;
    const since = wallTimeToDate(form.from, timezone);
    const until = startOfNextDay(form.to, timezone);
    const shown = { policy: form.policy, name: form.name || 'draft.yml', from: form.from, to: form.to };
    if (!since || !until || until <= since) {
      return show(req, res, shown, { fields: { to: !since || !until ? 'not a real date' : 'must not be before from' } }, 400);
    }
    try {
      const result = await backtestPolicy(ctx.deps, actorOf(req, user.id), { text: form.policy, source: shown.name, since, until });
      await show(req, res, shown, {
        result,
        elapsedMs: Math.round(result.elapsedMs),
        changes: result.counts.newly_blocked + result.counts.newly_allowed + result.counts.changed,
        groups: [
          { id: 'rule', title: 'Rule', groups: result.byRule },
          { id: 'user', title: 'User', groups: result.byUser },
          { id: 'device', title: 'Server', groups: result.byDevice },
        ],
        examples: [...result.examples.newly_blocked, ...result.examples.newly_allowed, ...result.examples.changed],
      });
    } catch (error) {
      if (error instanceof PolicyValidationError) return show(req, res, shown, { problems: error.problems }, 400);
      if (error instanceof ServiceError && error.kind === 'invalid') return show(req, res, shown, { error: error.message }, STATUS_OF_KIND.invalid);
      throw error;
    }
  });
}
