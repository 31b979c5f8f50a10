import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { signIn } from '../../services/access/signIn.js';
import { signOutOfWeb } from '../../services/access/webSignOut.js';
import { actorOf } from '../http/actorOf.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { safeLocalPath } from '../http/localPath.js';
import { parseInput } from '../http/parseInput.js';
import { viewerOf } from '../http/portalLocals.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const signInQuery = z.strictObject({ next: z.string().max(2000).optional() });
const localSignInForm = z.strictObject({
  _csrf: z.string(),
  user: z.string().min(1, 'choose a user').max(64),
  next: z.string().max(2000).optional(),
});
const signOutForm = z.strictObject({ _csrf: z.string() });

/** The sign-in page (Slack and/or local), local sign-in and sign-out. */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/signin', async function showSignIn(req: Request, res: Response) {
    const { next } = parseInput(signInQuery, req.query, 'query');
    const target = safeLocalPath(next);
    if (viewerOf(res)) return res.redirect(303, target);
    const users = ctx.signIn.local ? (await ctx.deps.policies.current()).policy.users : [];
    await renderPage(ctx, req, res, 'signIn', {
      title: 'Sign in',
      next: target,
      slackHref: ctx.signIn.slack ? `/auth/slack?next=${encodeURIComponent(target)}` : undefined,
      localUsers: users.map((u) => ({ id: u.id, name: u.name, roles: u.roles })),
      noMethod: !ctx.signIn.slack && !ctx.signIn.local,
    });
  });

  router.post('/signin/local', ctx.limit.signIn, async function signInLocally(req: Request, res: Response) {
    if (!ctx.signIn.local) throw new HttpRefusal(404, 'local sign-in is off: it is only available without Slack, on a loopback address');
    const form = parseInput(localSignInForm, req.body, 'form');
    const user = await signIn(ctx.deps, { method: 'local', userId: form.user }, `web ${req.ip ?? 'unknown'}`);
    ctx.sessions.issue(res, user.id, 'local');
    res.redirect(303, safeLocalPath(form.next, '/approvals'));
  });

  router.post('/signout', async function signOut(req: Request, res: Response) {
    parseInput(signOutForm, req.body, 'form');
    const viewer = viewerOf(res);
    if (viewer) await signOutOfWeb(ctx.deps, actorOf(req, viewer.user.id));
    ctx.sessions.clear(res);
    res.redirect(303, '/signin');
  });
}
