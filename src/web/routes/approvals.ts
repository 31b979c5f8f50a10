import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { listApprovalsAwaiting } from '../../services/access/listChangesFor.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const noQuery = z.strictObject({});

/** The approver's inbox: pending changes waiting for their decision, soonest window first. */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/approvals', requireViewer, async function showApprovals(req: Request, res: Response) {
    parseInput(noQuery, req.query, 'query');
    const { user } = signedIn(res);
    const changes = await listApprovalsAwaiting(ctx.deps, user);
    await renderPage(ctx, req, res, 'approvals', { title: 'Approvals waiting for you', changes });
  });
}
