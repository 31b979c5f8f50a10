import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { CHANGE_STATUSES } from '../../domain/change/changeStatus.js';
import { listChangesFor } from '../../services/access/listChangesFor.js';
import { pageNumber, pageLinks } from '../http/pagination.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const PAGE_SIZE = 25;

const changesQuery = z.strictObject({
  status: z.enum(CHANGE_STATUSES).or(z.literal('')).optional(),
  page: pageNumber,
});

/** The changes a user may see (their own and their groups', or all for auditors and security). */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/changes', requireViewer, async function showChanges(req: Request, res: Response) {
    const query = parseInput(changesQuery, req.query, 'query');
    const { user } = signedIn(res);
    const status = query.status || undefined;
    const { changes, hasMore } = await listChangesFor(ctx.deps, user, {
      statuses: status ? [status] : undefined,
      limit: PAGE_SIZE,
      offset: (query.page - 1) * PAGE_SIZE,
    });
    const { policy } = await ctx.deps.policies.current();
    await renderPage(ctx, req, res, 'changes', {
      title: 'Changes',
      canFile: policy.groups.some((g) => g.members.includes(user.id) && g.devices.length > 0),
      changes,
      statuses: CHANGE_STATUSES.map((s) => ({ value: s, selected: s === status })),
      status,
      pages: pageLinks('/changes', { status }, query.page, hasMore),
    });
  });
}
