import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { listLocksFor } from '../../services/access/securityActions.js';
import { lockUser, unlockUser } from '../../services/sessions/sessionControl.js';
import { ServiceError } from '../../services/serviceError.js';
import { actorOf } from '../http/actorOf.js';
import { STATUS_OF_KIND } from '../http/errorPages.js';
import { parseInput } from '../http/parseInput.js';
import { userIdParam } from '../http/pathParams.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const DONE = { locked: 'The user is locked out of the proxy.', unlocked: 'The user may use the proxy again.' } as const;
const locksQuery = z.strictObject({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() });
const lockForm = z.strictObject({
  _csrf: z.string(),
  user: userIdParam.shape.user,
  reason: z.string().max(1000, 'keep the reason under 1000 characters'),
});
const csrfOnly = z.strictObject({ _csrf: z.string() });

/** Security's list of locked users, with lock and unlock. */
export function register(router: Router, ctx: PortalContext): void {
  async function showLocks(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const { user } = signedIn(res);
    const locks = await listLocksFor(ctx.deps, user);
    const locked = new Set(locks.map((l) => l.user));
    const { policy } = await ctx.deps.policies.current();
    await renderPage(ctx, req, res, 'locks', {
      title: 'Locked users',
      locks,
      unlockedUsers: policy.users.filter((u) => !locked.has(u.id)).map((u) => ({ id: u.id, name: u.name })),
      ...extra,
    }, status);
  }

  router.get('/locks', requireViewer, async function showLockList(req: Request, res: Response) {
    const { done } = parseInput(locksQuery, req.query, 'query');
    await showLocks(req, res, done ? { done: DONE[done] } : {});
  });

  router.post('/locks', requireViewer, ctx.limit.decisions, async function lockFromWeb(req: Request, res: Response) {
    const form = parseInput(lockForm, req.body, 'form');
    const { user } = signedIn(res);
    try {
      await lockUser(ctx.deps, form.user, actorOf(req, user.id), form.reason);
    } catch (error) {
      if (!(error instanceof ServiceError) || error.kind === 'forbidden') throw error;
      return showLocks(req, res, { error: error.message, fields: error.fields }, STATUS_OF_KIND[error.kind]);
    }
    res.redirect(303, '/locks?done=locked');
  });

  router.post('/locks/:user/unlock', requireViewer, ctx.limit.decisions, async function unlockFromWeb(req: Request, res: Response) {
    const { user: target } = parseInput(userIdParam, req.params, 'path');
    parseInput(csrfOnly, req.body, 'form');
    const { user } = signedIn(res);
    await unlockUser(ctx.deps, target, actorOf(req, user.id));
    res.redirect(303, '/locks?done=unlocked');
  });
}
