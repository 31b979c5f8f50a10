import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { loadChangeDetailFor } from '../../services/access/changeAccess.js';
import { approveChange, cancelChange, rejectChange, revokeChange } from '../../services/changes/reviewChange.js';
import { findChangeConflicts } from '../../services/changes/changeConflicts.js';
import { finishChange } from '../../services/changes/finishChange.js';
import { decideDeviation } from '../../services/deviations/decideDeviation.js';
import { ServiceError } from '../../services/serviceError.js';
import { actorOf } from '../http/actorOf.js';
import { STATUS_OF_KIND } from '../http/errorPages.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { parseInput } from '../http/parseInput.js';
import { changeCodeParam } from '../http/pathParams.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';
import { isFinal } from '../../domain/change/changeStatus.js';
import { connectLines } from './connectLines.js';
import { plannedScriptView } from './scriptView.js';

const DONE = {
  approved: 'Your approval is recorded.',
  rejected: 'The change is rejected.',
  revoked: 'The change is revoked; its live sessions are being cut.',
  cancelled: 'The change is cancelled.',
  filed: 'The change is filed: its approvers are asked to review it.',
  edited: 'The change is saved: earlier approvals are withdrawn and the approvers are asked again.',
  rescheduled: 'The window is moved: earlier approvals are withdrawn and the approvers are asked again.',
  finished: 'The change is finished: its live sessions are being cut and its audit is done.',
  deviationAllowed: 'The command is allowed once: it runs now in the waiting session.',
  deviationDenied: 'The command is denied: it is not run.',
} as const;

const detailQuery = z.strictObject({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() });
const reason = z.string().max(1000, 'keep the reason under 1000 characters');
const approveForm = z.strictObject({ _csrf: z.string(), seenScriptHash: z.string().regex(/^[0-9a-f]{64}$/, 'expected the script hash shown on the page') });
const reasonForm = z.strictObject({ _csrf: z.string(), reason });
const cancelForm = z.strictObject({ _csrf: z.string(), reason: reason.optional() });
const finishForm = z.strictObject({ _csrf: z.string() });
const deviationPath = z.strictObject({ code: changeCodeParam.shape.code, id: z.string().uuid('expected a deviation request id') });

type Decision = 'approve' | 'reject' | 'revoke' | 'cancel' | 'finish' | 'deviation.allow' | 'deviation.deny';

/** Change detail: fields, window, status timeline, script, and the decisions the viewer may take. */
export function register(router: Router, ctx: PortalContext): void {
  async function showDetail(req: Request, res: Response, code: string, extra: { done?: string; error?: string; fields?: Readonly<Record<string, string>>; reason?: string } = {}, status = 200) {
    const { user } = signedIn(res);
    const detail = await loadChangeDetailFor(ctx.deps, user, code);
    const { change, group, rights } = detail;
    const currentApprovals = change.approvals.filter((a) => a.scriptHash === change.scriptHash);
    // Warnings for the requester and the approvers while the change is not over.
    const conflicts = isFinal(change.status) ? undefined : await findChangeConflicts(ctx.deps, change);
    await renderPage(
      ctx,
      req,
      res,
      'changeDetail',
      {
        title: `${change.code} ${change.title}`,
        change,
        script: plannedScriptView(change.script, detail.webApproval.lines),
        quorum: { needed: conflicts?.approvalsNeeded ?? Math.max(1, group?.approvals ?? 1), approvers: group?.approvers ?? [], approvals: currentApprovals },
        conflicts,
        rights,
        anyDecision: rights.approve || rights.reject || rights.revoke || rights.cancel || rights.finish,
        connect: connectLines(ctx, change, user.id),
        webApproval: detail.webApproval,
        timeline: detail.timeline,
        sessions: detail.sessions,
        deviations: detail.deviations,
        ...extra,
      },
      status,
    );
  }

  router.get('/changes/:code', requireViewer, async function showChange(req: Request, res: Response) {
    const { code } = parseInput(changeCodeParam, req.params, 'path');
    const { done } = parseInput(detailQuery, req.query, 'query');
    await showDetail(req, res, code, done ? { done: DONE[done] } : {});
  });

  /** Runs a decision; a refusal is shown on the change page itself, with its status code. */
  function decide(decision: Decision, act: (req: Request, res: Response, code: string) => Promise<unknown>, done: keyof typeof DONE) {
    return async function decideOnChange(req: Request, res: Response) {
      // The change's part of the path (a deviation's route has its id too, checked by its own schema).
      const { code } = parseInput(changeCodeParam, { code: req.params.code }, 'path');
      try {
        await act(req, res, code);
      } catch (error) {
        if (!(error instanceof ServiceError) || error.kind === 'not_found') throw error;
        const typed = typeof (req.body as { reason?: unknown } | undefined)?.reason === 'string' ? String((req.body as { reason: string }).reason) : undefined;
        return showDetail(req, res, code, { error: error.message, fields: error.fields, reason: typed }, STATUS_OF_KIND[error.kind]);
      }
      ctx.logger.info({ change: code, decision, user: signedIn(res).user.id }, 'web decision');
      res.redirect(303, `/changes/${encodeURIComponent(code)}?done=${done}`);
    };
  }

  // Allow once / Deny on a command a review rule holds (the same use case as Slack's buttons).
  for (const [verb, decision, done] of [['allow', 'allow', 'deviationAllowed'], ['deny', 'deny', 'deviationDenied']] as const) {
    router.post(
      `/changes/:code/deviations/:id/${verb}`,
      requireViewer,
      ctx.limit.decisions,
      decide(`deviation.${decision}`, async (req, res, code) => {
        const { id } = parseInput(deviationPath, req.params, 'path');
        parseInput(finishForm, req.body, 'form');
        await decideDeviation(ctx.deps, id, actorOf(req, signedIn(res).user.id), decision, code);
      }, done),
    );
  }

  router.post(
    '/changes/:code/approve',
    requireViewer,
    ctx.limit.decisions,
    decide('approve', async (req, res, code) => {
      const form = parseInput(approveForm, req.body, 'form');
      const { user } = signedIn(res);
      await approveChange(ctx.deps, code, actorOf(req, user.id), { seenScriptHash: form.seenScriptHash, signedInOnWeb: true });
    }, 'approved'),
  );

  router.post(
    '/changes/:code/reject',
    requireViewer,
    ctx.limit.decisions,
    decide('reject', async (req, res, code) => {
      const form = parseInput(reasonForm, req.body, 'form');
      await rejectChange(ctx.deps, code, actorOf(req, signedIn(res).user.id), form.reason);
    }, 'rejected'),
  );

  router.post(
    '/changes/:code/revoke',
    requireViewer,
    ctx.limit.decisions,
    decide('revoke', async (req, res, code) => {
      const form = parseInput(reasonForm, req.body, 'form');
      await revokeChange(ctx.deps, code, actorOf(req, signedIn(res).user.id), form.reason);
    }, 'revoked'),
  );

  router.post(
    '/changes/:code/finish',
    requireViewer,
    ctx.limit.decisions,
    decide('finish', async (req, res, code) => {
      parseInput(finishForm, req.body, 'form');
      await finishChange(ctx.deps, code, actorOf(req, signedIn(res).user.id));
    }, 'finished'),
  );

  router.post(
    '/changes/:code/cancel',
    requireViewer,
    ctx.limit.decisions,
    decide('cancel', async (req, res, code) => {
      const form = parseInput(cancelForm, req.body, 'form');
      await cancelChange(ctx.deps, code, actorOf(req, signedIn(res).user.id), form.reason?.trim() ?? '');
    }, 'cancelled'),
  );
}
