import cookieParser from 'cookie-parser';
import express, { Router } from 'express';
import { isWebSessionCurrent } from '../services/access/webSignOut.js';
import { browserIdentity } from './http/browserIdentity.js';
import { portalErrorHandler, portalNotFound } from './http/errorPages.js';
import { formBodiesOnly } from './http/formBodies.js';
import { loopbackHostOnly } from './http/loopbackHost.js';
import { onlyPortalPaths } from './http/portalPaths.js';
import { securityHeaders } from './http/securityHeaders.js';
import { sessionStillOffered } from './http/signInMethods.js';
import type { PortalContext } from './portalContext.js';
import * as approvalLink from './routes/approvalLink.js';
import * as approvals from './routes/approvals.js';
import * as assets from './routes/assets.js';
import * as auditTrail from './routes/auditTrail.js';
import * as changeAudit from './routes/changeAudit.js';
import * as changeDetail from './routes/changeDetail.js';
import * as changeEdit from './routes/changeEdit.js';
import * as changes from './routes/changes.js';
import * as commandSearch from './routes/commandSearch.js';
import * as home from './routes/home.js';
import * as locks from './routes/locks.js';
import * as newChange from './routes/newChange.js';
import * as outbox from './routes/outbox.js';
import * as policy from './routes/policy.js';
import * as policyBacktest from './routes/policyBacktest.js';
import * as reports from './routes/reports.js';
import * as sessionDetail from './routes/sessionDetail.js';
import * as sessions from './routes/sessions.js';
import * as signIn from './routes/signIn.js';
import * as slackSignIn from './routes/slackSignIn.js';

/**
 * The portal: pages, forms and exports, with their own headers, cookies, body parsing and
 * CSRF checks. Requests outside the portal's paths leave this router untouched.
 */
export function portalRouter(ctx: PortalContext, keys: { readonly signInState: Buffer }): Router {
  const router = Router();
  router.use(onlyPortalPaths);
  router.use(securityHeaders({ https: ctx.https }));
  assets.register(router);
  router.use(cookieParser());
  router.use(browserIdentity);
  if (ctx.signIn.local) router.use(loopbackHostOnly);
  // `extended: false`: flat string fields only, never nested objects built from field names.
  router.use(formBodiesOnly);
  // The change form carries a script of up to 64 KiB, which URL-encoding may triple.
  router.use(['/changes/new', '/changes/:code/edit'], express.urlencoded({ extended: false, limit: '320kb', parameterLimit: 150 }));
  // A draft policy may be 1 MiB (the policy file limit), which URL-encoding may triple.
  router.use('/policy/backtest', express.urlencoded({ extended: false, limit: '3mb', parameterLimit: 10 }));
  router.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 50 }));
  router.use(
    ctx.sessions.resolveViewer(
      ctx.deps.policies,
      (userId, issuedAt) => isWebSessionCurrent(ctx.deps, userId, issuedAt),
      (method, policy, user) => sessionStillOffered(ctx, method, policy, user),
    ),
  );
  router.use(ctx.csrf.protect);

  home.register(router, ctx);
  signIn.register(router, ctx);
  slackSignIn.register(router, ctx, keys.signInState);
  approvals.register(router, ctx);
  changes.register(router, ctx);
  // Before the change page: `/changes/new` is not a change code.
  newChange.register(router, ctx);
  changeDetail.register(router, ctx);
  changeEdit.register(router, ctx);
  changeAudit.register(router, ctx);
  sessions.register(router, ctx);
  sessionDetail.register(router, ctx);
  locks.register(router, ctx);
  auditTrail.register(router, ctx);
  commandSearch.register(router, ctx);
  policy.register(router, ctx);
  policyBacktest.register(router, ctx);
  outbox.register(router, ctx);
  reports.register(router, ctx);
  approvalLink.register(router, ctx);

  router.use(portalNotFound(ctx));
  router.use(portalErrorHandler(ctx));
  return router;
}
