import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Audience } from '../../notify/notification.js';
import { requireCapability } from '../../services/access/requireCapability.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { pageLinks, pageNumber } from '../http/pagination.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const PAGE_SIZE = 50;
const outboxQuery = z.strictObject({ page: pageNumber });

function describeAudience(audience: Audience): string {
  if ('role' in audience) return `#${audience.role} channel`;
  if ('user' in audience) return `DM to ${audience.user}`;
  return `channel ${audience.slackChannel}`;
}

/** Notifications kept in the outbox when Slack is not configured. */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/outbox', requireViewer, async function showOutbox(req: Request, res: Response) {
    const query = parseInput(outboxQuery, req.query, 'query');
    requireCapability(signedIn(res).user, 'viewOutbox');
    if (!ctx.outbox) throw new HttpRefusal(404, 'there is no outbox: notifications go to Slack');
    const { entries, total } = await ctx.outbox.list({ limit: PAGE_SIZE, offset: (query.page - 1) * PAGE_SIZE });
    await renderPage(ctx, req, res, 'outbox', {
      title: 'Outbox',
      total,
      entries: entries.map((e) => ({ ...e, audienceText: e.audience.map(describeAudience).join(', ') })),
      pages: pageLinks('/outbox', {}, query.page, query.page * PAGE_SIZE < total),
    });
  });
}
