import { randomBytes } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { signIn } from '../../services/access/signIn.js';
import { ServiceError } from '../../services/serviceError.js';
import { SlackSignInError, type SlackOpenIdClient } from '../auth/slackOpenId.js';
import { BASE_COOKIE_OPTIONS, COOKIE } from '../http/cookieNames.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { safeLocalPath } from '../http/localPath.js';
import { parseInput } from '../http/parseInput.js';
import { SignedToken } from '../http/signedToken.js';
import type { PortalContext } from '../portalContext.js';

const SIGN_IN_WINDOW_MS = 10 * 60_000;

interface SignInState {
  readonly state: string;
  readonly nonce: string;
  readonly next: string;
  readonly expiresAt: number;
}

function isSignInState(value: unknown): value is SignInState {
  const v = value as Partial<SignInState> | null;
  return typeof v === 'object' && v !== null && typeof v.state === 'string' && typeof v.nonce === 'string' && typeof v.next === 'string' && typeof v.expiresAt === 'number';
}

const startQuery = z.strictObject({ next: z.string().max(2000).optional() });
// Slack adds nothing else today, but an identity provider may: extra parameters are ignored.
const callbackQuery = z.object({
  code: z.string().min(1).max(1000).optional(),
  state: z.string().min(1).max(200).optional(),
  error: z.string().max(200).optional(),
});

/**
 * Sign in with Slack: `/auth/slack` sends the browser to Slack with a fresh state and nonce
 * (kept in a short-lived signed cookie), `/auth/slack/callback` checks them, asks Slack who
 * signed in and maps that Slack user to the policy user.
 */
export function register(router: Router, ctx: PortalContext, stateKey: Buffer): void {
  const stateTokens = new SignedToken<SignInState>(stateKey, isSignInState);
  const redirectUri = `${ctx.publicUrl}/auth/slack/callback`;
  const slackClient = (): SlackOpenIdClient => {
    if (!ctx.signIn.slack) throw new HttpRefusal(404, 'Sign in with Slack is not configured (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)');
    return ctx.signIn.slack;
  };

  router.get('/auth/slack', ctx.limit.signIn, function startSlackSignIn(req: Request, res: Response) {
    const client = slackClient();
    const { next } = parseInput(startQuery, req.query, 'query');
    const state: SignInState = {
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
      // Without a page to return to: the landing page, which shows what the user's roles ask of them.
      next: safeLocalPath(next, '/'),
      expiresAt: ctx.deps.clock().getTime() + SIGN_IN_WINDOW_MS,
    };
    res.cookie(COOKIE.signInState, stateTokens.sign(state), { ...BASE_COOKIE_OPTIONS, maxAge: SIGN_IN_WINDOW_MS });
    res.redirect(303, client.authorizationUrl({ state: state.state, nonce: state.nonce, redirectUri }));
  });

  router.get('/auth/slack/callback', ctx.limit.signIn, async function finishSlackSignIn(req: Request, res: Response) {
    const client = slackClient();
    const query = parseInput(callbackQuery, req.query, 'query');
    const saved = stateTokens.verify((req.cookies as Record<string, string>)[COOKIE.signInState]);
    res.clearCookie(COOKIE.signInState, BASE_COOKIE_OPTIONS);
    if (query.error) throw new ServiceError('forbidden', `Slack did not sign you in (${query.error})`);
    if (!saved || saved.expiresAt <= ctx.deps.clock().getTime()) {
      throw new ServiceError('forbidden', 'this sign-in took too long or was started in another browser: start again');
    }
    if (!query.code || query.state !== saved.state) throw new ServiceError('forbidden', 'this sign-in answer does not match the one this browser started: start again');
    let identity: { slackUserId: string };
    try {
      identity = await client.identify({ code: query.code, redirectUri, nonce: saved.nonce });
    } catch (error) {
      if (error instanceof SlackSignInError) {
        ctx.logger.warn({ err: error }, 'Sign in with Slack failed');
        throw new ServiceError('forbidden', error.message);
      }
      throw error;
    }
    const user = await signIn(ctx.deps, { method: 'slack', slackUserId: identity.slackUserId }, `web ${req.ip ?? 'unknown'}`);
    ctx.sessions.issue(res, user.id, 'slack');
    res.redirect(303, saved.next);
  });
}
