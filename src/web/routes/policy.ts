import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { viewPolicy } from '../../services/policy/policyView.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const noQuery = z.strictObject({});

/** The policy in force: users, groups, devices (no credential details), rules, settings. */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/policy', requireViewer, async function showPolicy(req: Request, res: Response) {
    parseInput(noQuery, req.query, 'query');
    const policy = await viewPolicy(ctx.deps, signedIn(res).user);
    await renderPage(ctx, req, res, 'policy', { title: 'Policy', policy });
  });
}
