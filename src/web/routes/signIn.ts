import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH } from '../../services/access/passwords.js';
import { signIn } from '../../services/access/signIn.js';
import { signOutOfWeb } from '../../services/access/webSignOut.js';
import { ServiceError } from '../../services/serviceError.js';
import { actorOf } from '../http/actorOf.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { safeLocalPath } from '../http/localPath.js';
import { parseInput } from '../http/parseInput.js';
import { viewerOf } from '../http/portalLocals.js';
import { renderPage } from '../http/renderPage.js';
import { offeredSignIn } from '../http/signInMethods.js';
import type { PortalContext } from '../portalContext.js';

const signInQuery = z.strictObject({ next: z.string().max(2000).optional() });
const localSignInForm = z.strictObject({
  _csrf: z.string(),
  user: z.string().min(1, 'choose a user').max(64),
  next: z.string().max(2000).optional(),
});
const passwordSignInForm = z.strictObject({
  _csrf: z.string(),
  user: z.string().trim().min(1, 'type your user id').max(64, 'a user id has at most 64 characters'),
  password: z.string().min(1, 'type your password').max(MAX_PASSWORD_LENGTH, `a password has at most ${MAX_PASSWORD_LENGTH} characters`),
  next: z.string().max(2000).optional(),
});
const signOutForm = z.strictObject({ _csrf: z.string() });

/** Where a fresh sign-in lands: the landing page, which shows what the user's roles ask of them. */
const LANDING = '/';

/** The sign-in page (Slack, password and/or the loopback picker), sign-in and sign-out. */
export function register(router: Router, ctx: PortalContext): void {
  async function showSignIn(req: Request, res: Response, next: string | undefined, extra: { error?: string; user?: string } = {}, status = 200) {
    const target = safeLocalPath(next, LANDING);
    const { policy } = await ctx.deps.policies.current();
    const offered = offeredSignIn(ctx, policy);
    await renderPage(
      ctx,
      req,
      res,
      'signIn',
      {
        title: 'Sign in',
        next: target,
        slackHref: offered.slack ? `/auth/slack?next=${encodeURIComponent(target)}` : undefined,
        localUsers: offered.picker ? policy.users.map((u) => ({ id: u.id, name: u.name, roles: u.roles })) : [],
        password: offered.password,
        // A fresh install: say what to do instead of showing an empty box.
        noPolicy: policy.users.length === 0,
        noMethod: policy.users.length > 0 && !offered.slack && !offered.picker && !offered.password,
        slackConfigured: ctx.slackConfigured,
        ...extra,
      },
      status,
    );
  }

  router.get('/signin', async function showSignInPage(req: Request, res: Response) {
    const { next } = parseInput(signInQuery, req.query, 'query');
    if (viewerOf(res)) return res.redirect(303, safeLocalPath(next, LANDING));
    await showSignIn(req, res, next);
  });

  router.post('/signin/local', ctx.limit.signIn, async function signInLocally(req: Request, res: Response) {
    const { policy } = await ctx.deps.policies.current();
    if (!offeredSignIn(ctx, policy).picker) {
      throw new HttpRefusal(
        404,
        ctx.signIn.local
          ? 'sign-in without a password is off: the policy gives users passwords, so sign in with yours'
          : 'local sign-in is off: it is only available without Slack, on a loopback address',
      );
    }
    const form = parseInput(localSignInForm, req.body, 'form');
    const user = await signIn(ctx.deps, { method: 'local', userId: form.user }, `web ${req.ip ?? 'unknown'}`);
    ctx.sessions.issue(res, user.id, 'local');
    res.redirect(303, safeLocalPath(form.next, LANDING));
  });

  router.post('/signin/password', ctx.limit.signIn, ctx.limit.passwordFailures, async function signInWithPassword(req: Request, res: Response) {
    const form = parseInput(passwordSignInForm, req.body, 'form');
    try {
      const user = await signIn(ctx.deps, { method: 'password', userId: form.user, password: form.password }, `web ${req.ip ?? 'unknown'}`);
      ctx.sessions.issue(res, user.id, 'password');
      res.redirect(303, safeLocalPath(form.next, LANDING));
    } catch (error) {
      if (!(error instanceof ServiceError && error.kind === 'forbidden')) throw error;
      // Shown on the sign-in page itself (403, counted by the per-account limiter), user id kept.
      await showSignIn(req, res, form.next, { error: error.message, user: form.user }, 403);
    }
  });

  router.post('/signout', async function signOut(req: Request, res: Response) {
    parseInput(signOutForm, req.body, 'form');
    const viewer = viewerOf(res);
    if (viewer) await signOutOfWeb(ctx.deps, actorOf(req, viewer.user.id));
    ctx.sessions.clear(res);
    res.redirect(303, '/signin');
  });
}
