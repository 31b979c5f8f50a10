import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { listActiveSessionsFor } from '../../services/access/securityActions.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const noQuery = z.strictObject({});

/** Sessions open now, for auditors and security. */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/sessions', requireViewer, async function showLiveSessions(req: Request, res: Response) {
    parseInput(noQuery, req.query, 'query');
    const sessions = await listActiveSessionsFor(ctx.deps, signedIn(res).user);
    await renderPage(ctx, req, res, 'sessions', { title: 'Live sessions', sessions });
  });
}
