import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { changeRightsOf } from '../../domain/access/portalRoles.js';
import { findChangeConflicts } from '../../services/changes/changeConflicts.js';
import { webApprovalRequirement } from '../../services/changes/webApprovalRequirement.js';
import { decideByApprovalLink, inspectApprovalLink } from '../../services/links/approvalLinkDecision.js';
import { ServiceError } from '../../services/serviceError.js';
import { actorOf } from '../http/actorOf.js';
import { STATUS_OF_KIND } from '../http/errorPages.js';
import { parseInput } from '../http/parseInput.js';
import { viewerOf } from '../http/portalLocals.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';
import { plannedScriptView } from './scriptView.js';

const tokenParam = z.strictObject({ token: z.string().regex(/^[\w-]{10,600}\.[\w-]{20,100}$/, 'expected an approval link token') });
const noQuery = z.strictObject({});
const decisionForm = z.discriminatedUnion('decision', [
  z.strictObject({ _csrf: z.string(), decision: z.literal('approve'), seenScriptHash: z.string().regex(/^[0-9a-f]{64}$/, 'expected the script hash shown on the page'), reason: z.string().max(1000).optional() }),
  z.strictObject({ _csrf: z.string(), decision: z.literal('reject'), seenScriptHash: z.string().optional(), reason: z.string().max(1000, 'keep the reason under 1000 characters') }),
]);

const INVALID = {
  malformed: 'This approval link is damaged. Was it cut when it was copied?',
  forged: 'This approval link was not issued by changeguard.',
  expired: 'This approval link has expired. Open the change from your approvals page instead.',
} as const;

/**
 * Personal approval links from Slack messages. A GET only shows the decision page (Slack's
 * unfurler fetches links, and a fetch must never decide); the decision is a POST by the
 * signed-in approver the link was made for.
 */
export function register(router: Router, ctx: PortalContext): void {
  async function showLink(req: Request, res: Response, token: string, extra: Record<string, unknown> = {}, status = 200) {
    const view = await inspectApprovalLink(ctx.deps, ctx.links, token);
    if (!view.ok) {
      return renderPage(ctx, req, res, 'error', { title: 'Approval link refused', status: 403, message: INVALID[view.reason] }, 403);
    }
    const viewer = viewerOf(res);
    const { change, claims } = view;
    const base = { title: `Decide on ${change.code}`, code: change.code, approver: claims.approver, expiresAt: claims.expiresAt };
    if (!viewer) {
      // Not signed in (or Slack's unfurler): the code only, nothing about the change itself.
      return renderPage(ctx, req, res, 'approvalLink', { ...base, signInHref: `/signin?next=${encodeURIComponent(`/approve/${token}`)}` });
    }
    if (viewer.user.id !== claims.approver) {
      return renderPage(ctx, req, res, 'error', {
        title: 'Not your approval link',
        status: 403,
        message: `This link was made for ${claims.approver}; you are signed in as ${viewer.user.id}.`,
      }, 403);
    }
    const rights = changeRightsOf(viewer.user, change, await ctx.deps.policies.group(change.group));
    const risk = await webApprovalRequirement(ctx.deps, change);
    await renderPage(ctx, req, res, 'approvalLink', {
      ...base,
      change,
      script: plannedScriptView(change.script, risk.lines),
      risk,
      used: view.used,
      canDecide: !view.used && (rights.approve || rights.reject),
      canApprove: rights.approve,
      conflicts: change.status === 'pending_approval' ? await findChangeConflicts(ctx.deps, change) : undefined,
      token,
      ...extra,
    }, status);
  }

  router.get('/approve/:token', async function showApprovalLink(req: Request, res: Response) {
    const { token } = parseInput(tokenParam, req.params, 'path');
    parseInput(noQuery, req.query, 'query');
    await showLink(req, res, token);
  });

  router.post('/approve/:token', requireViewer, ctx.limit.decisions, async function decideByLink(req: Request, res: Response) {
    const { token } = parseInput(tokenParam, req.params, 'path');
    const form = parseInput(decisionForm, req.body, 'form');
    const { user } = signedIn(res);
    let code: string;
    try {
      const change = await decideByApprovalLink(
        ctx.deps,
        ctx.links,
        token,
        user,
        actorOf(req, user.id),
        form.decision === 'approve' ? { kind: 'approve', seenScriptHash: form.seenScriptHash } : { kind: 'reject', reason: form.reason },
      );
      code = change.code;
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      const status = STATUS_OF_KIND[error.kind];
      if (error.kind === 'invalid') return showLink(req, res, token, { error: error.message, fields: error.fields, reason: form.reason }, status);
      return renderPage(ctx, req, res, 'error', { title: 'Decision refused', status, message: error.message }, status);
    }
    res.redirect(303, `/changes/${encodeURIComponent(code)}?done=${form.decision === 'approve' ? 'approved' : 'rejected'}`);
  });
}
