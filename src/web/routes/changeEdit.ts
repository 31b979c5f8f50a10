import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { loadChangeFor } from '../../services/access/changeAccess.js';
import { MAX_SCRIPT_BYTES } from '../../services/changes/changeInput.js';
import { findChangeConflicts } from '../../services/changes/changeConflicts.js';
import { editChange } from '../../services/changes/editChange.js';
import { rescheduleChange } from '../../services/changes/rescheduleChange.js';
import { validateChangeDraft } from '../../services/changes/validateChange.js';
import { ServiceError } from '../../services/serviceError.js';
import { actorOf } from '../http/actorOf.js';
import { STATUS_OF_KIND } from '../http/errorPages.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { parseInput } from '../http/parseInput.js';
import { changeCodeParam } from '../http/pathParams.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import { dateToWallTime } from '../../domain/time/wallTime.js';
import type { PortalContext } from '../portalContext.js';
import { changeFormFields, draftFingerprint, formDate, groupChoices, preflightView } from './changeForm.js';

const noQuery = z.strictObject({});
const reason = z.string().max(1000, 'keep it under 1000 characters').optional();
const editForm = z.strictObject({
  _csrf: z.string(),
  title: changeFormFields.title,
  description: changeFormFields.description,
  devices: changeFormFields.devices,
  script: changeFormFields.script,
  reason,
  intent: changeFormFields.intent,
  checked: changeFormFields.checked,
});
const rescheduleForm = z.strictObject({ _csrf: z.string(), windowStart: changeFormFields.windowStart, windowEnd: changeFormFields.windowEnd, emergency: changeFormFields.emergency, reason });

type EditForm = z.output<typeof editForm>;
type RescheduleForm = z.output<typeof rescheduleForm>;

/**
 * The requester's own moves on a filed change: edit (editChange) and reschedule
 * (rescheduleChange) before work starts. The page only translates the forms; the services
 * decide and refuse, as for Slack. ("Finish now" is a decision on the change page.)
 */
export function register(router: Router, ctx: PortalContext): void {
  async function load(req: Request, res: Response) {
    const { code } = parseInput(changeCodeParam, req.params, 'path');
    const { user } = signedIn(res);
    const inView = await loadChangeFor(ctx.deps, user, code);
    const { policy } = await ctx.deps.policies.current();
    return { ...inView, user, timezone: policy.settings.timezone };
  }

  async function showEdit(
    req: Request,
    res: Response,
    state: { edit?: Partial<EditForm>; reschedule?: Partial<RescheduleForm>; extra?: Record<string, unknown> } = {},
    status = 200,
  ) {
    const { change, group, rights, timezone } = await load(req, res);
    if (!rights.edit && !rights.reschedule) {
      throw new HttpRefusal(403, `only ${change.requester}, who filed ${change.code}, can edit it, and only before work starts (it is ${change.status.replace('_', ' ')})`);
    }
    const form = state.edit ?? { title: change.title, description: change.description, devices: [...change.devices], script: change.script };
    await renderPage(
      ctx,
      req,
      res,
      'changeForm',
      {
        title: `Edit ${change.code}`,
        action: `/changes/${encodeURIComponent(change.code)}/edit`,
        isNew: false,
        change,
        form,
        groups: group ? groupChoices([group], group.id, form.devices ?? []) : [],
        reschedule: state.reschedule ?? {
          windowStart: dateToWallTime(change.windowStart, timezone),
          windowEnd: dateToWallTime(change.windowEnd, timezone),
          emergency: change.emergency ? 'yes' : undefined,
        },
        timezone,
        maxScriptKiB: MAX_SCRIPT_BYTES / 1024,
        ...state.extra,
      },
      status,
    );
  }

  router.get('/changes/:code/edit', requireViewer, async function showEditPage(req: Request, res: Response) {
    parseInput(noQuery, req.query, 'query');
    await showEdit(req, res);
  });

  router.post('/changes/:code/edit', requireViewer, ctx.limit.decisions, async function checkOrSaveEdit(req: Request, res: Response) {
    const form = parseInput(editForm, req.body, 'form');
    const { change, user, rights } = await load(req, res);
    const { _csrf: _token, intent: _intent, checked: _checked, ...draft } = form;
    const fingerprint = draftFingerprint({ code: change.code, ...draft });
    const actor = actorOf(req, user.id);
    const edit = () =>
      editChange(ctx.deps, change.code, actor, {
        title: form.title,
        description: form.description ?? '',
        devices: form.devices,
        script: form.script,
        reason: form.reason ?? '',
      });
    try {
      // The page offers no edit to this viewer; the service says why (and audits the attempt).
      if (!rights.edit || (form.intent === 'file' && form.checked === fingerprint)) {
        await edit();
        return res.redirect(303, `/changes/${encodeURIComponent(change.code)}?done=edited`);
      }
      const validation = await validateChangeDraft(
        ctx.deps,
        {
          title: form.title,
          description: form.description ?? '',
          group: change.group,
          devices: form.devices,
          script: form.script,
          windowStart: change.windowStart,
          windowEnd: change.windowEnd,
          emergency: change.emergency,
        },
        actor,
      );
      const conflicts = await findChangeConflicts(ctx.deps, { ...change, devices: [...new Set(form.devices)] });
      await showEdit(req, res, { edit: form, extra: { preflight: preflightView(form.script, validation), conflicts, fingerprint, changedSinceCheck: form.intent === 'file' } });
    } catch (error) {
      if (!(error instanceof ServiceError) || error.kind === 'not_found') throw error;
      if (!rights.edit && !rights.reschedule) throw error;
      await showEdit(req, res, { edit: form, extra: { error: error.message, fields: error.fields } }, STATUS_OF_KIND[error.kind]);
    }
  });

  router.post('/changes/:code/reschedule', requireViewer, ctx.limit.decisions, async function rescheduleFromWeb(req: Request, res: Response) {
    const form = parseInput(rescheduleForm, req.body, 'form');
    const { change, user, timezone } = await load(req, res);
    try {
      await rescheduleChange(ctx.deps, change.code, actorOf(req, user.id), {
        windowStart: formDate(form.windowStart, timezone),
        windowEnd: formDate(form.windowEnd, timezone),
        // The box shows the change's flag: what it says when sent is what the change becomes.
        emergency: form.emergency === 'yes',
        reason: form.reason ?? '',
      });
    } catch (error) {
      if (!(error instanceof ServiceError) || error.kind === 'not_found') throw error;
      return showEdit(req, res, { reschedule: form, extra: { error: error.message, rescheduleFields: error.fields } }, STATUS_OF_KIND[error.kind]);
    }
    res.redirect(303, `/changes/${encodeURIComponent(change.code)}?done=rescheduled`);
  });
}
