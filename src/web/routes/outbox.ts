import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { listOutboxFor } from '../../services/outbox/listOutboxFor.js';
import { OUTBOX_STATUSES } from '../../store/outboxRepository.js';
import { pageLinks, pageNumber } from '../http/pagination.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const PAGE_SIZE = 50;
const outboxQuery = z.strictObject({ status: z.enum(OUTBOX_STATUSES).or(z.literal('')).optional(), page: pageNumber });

/** `role:security` -> `#security channel`, as people read it. */
function describeAudience(audience: string): string {
  const [kind, ...rest] = audience.split(':');
  const name = rest.join(':');
  if (kind === 'role') return `#${name} channel`;
  if (kind === 'user') return `DM to ${name}`;
  if (kind === 'channel') return `channel ${name}`;
  return audience;
}

/**
 * Every notification with its delivery status. Without Slack they are all "not sent" and
 * this page is where they are read.
 */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/outbox', requireViewer, async function showOutbox(req: Request, res: Response) {
    const query = parseInput(outboxQuery, req.query, 'query');
    const status = query.status || undefined;
    const { messages, hasMore } = await listOutboxFor(ctx.deps, signedIn(res).user, {
      statuses: status ? [status] : undefined,
      limit: PAGE_SIZE,
      offset: (query.page - 1) * PAGE_SIZE,
    });
    await renderPage(ctx, req, res, 'outbox', {
      title: 'Outbox',
      slackConfigured: ctx.slackConfigured,
      messages: messages.map((m) => ({ ...m, audienceText: describeAudience(m.audience) })),
      statuses: OUTBOX_STATUSES.map((s) => ({ value: s, selected: s === status })),
      status,
      pages: pageLinks('/outbox', { status }, query.page, hasMore),
    });
  });
}
