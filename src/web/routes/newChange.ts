import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { findChangeConflicts } from '../../services/changes/changeConflicts.js';
import { registerChange, suggestNextCode } from '../../services/changes/registerChange.js';
import { validateChangeDraft } from '../../services/changes/validateChange.js';
import { ServiceError } from '../../services/serviceError.js';
import { MAX_SCRIPT_BYTES } from '../../services/changes/changeInput.js';
import { actorOf } from '../http/actorOf.js';
import { STATUS_OF_KIND } from '../http/errorPages.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import { dateToWallTime } from '../../domain/time/wallTime.js';
import type { PortalContext } from '../portalContext.js';
import { changeFormFields, draftFingerprint, formDate, groupChoices, preflightView } from './changeForm.js';

const HOUR = 3600_000;
const noQuery = z.strictObject({});
const newChangeForm = z.strictObject({ _csrf: z.string(), ...changeFormFields });
type NewChangeForm = z.output<typeof newChangeForm>;

/**
 * "New change": the Slack modal's fields on a page (scripts up to 64 KiB, where Slack stops at
 * 3,000 characters). Check shows the preflight (the filing rules, then the script through the
 * rules of each server, and whether only a web approval will do); File files the draft that
 * was checked, through registerChange, as `/change new` does.
 */
export function register(router: Router, ctx: PortalContext): void {
  async function groupsOf(userId: string) {
    const { policy } = await ctx.deps.policies.current();
    return { groups: policy.groups.filter((g) => g.members.includes(userId)), timezone: policy.settings.timezone };
  }

  async function showForm(req: Request, res: Response, form: Partial<NewChangeForm>, extra: Record<string, unknown> = {}, status = 200) {
    const { user } = signedIn(res);
    const { groups, timezone } = await groupsOf(user.id);
    const group = form.group ?? groups[0]?.id ?? '';
    await renderPage(
      ctx,
      req,
      res,
      'changeForm',
      {
        title: 'New change',
        action: '/changes/new',
        isNew: true,
        form: { ...form, group },
        groups: groupChoices(groups, group, form.devices ?? [], { requester: user.id, executors: form.executors ?? [] }),
        noGroup: groups.length === 0,
        timezone,
        maxScriptKiB: MAX_SCRIPT_BYTES / 1024,
        ...extra,
      },
      status,
    );
  }

  router.get('/changes/new', requireViewer, async function showNewChange(req: Request, res: Response) {
    parseInput(noQuery, req.query, 'query');
    const { groups, timezone } = await groupsOf(signedIn(res).user.id);
    // As in Slack: the next full hour plus one, for two hours; the requester adjusts it.
    const start = new Date(Math.ceil(ctx.deps.clock().getTime() / HOUR) * HOUR + HOUR);
    await showForm(req, res, {
      code: groups.length > 0 ? await suggestNextCode(ctx.deps) : '',
      windowStart: dateToWallTime(start, timezone),
      windowEnd: dateToWallTime(new Date(start.getTime() + 2 * HOUR), timezone),
      group: groups[0]?.id,
      devices: groups[0]?.devices.length === 1 ? [...groups[0].devices] : [],
    });
  });

  router.post('/changes/new', requireViewer, async function checkOrFileChange(req: Request, res: Response) {
    const form = parseInput(newChangeForm, req.body, 'form');
    const { user } = signedIn(res);
    const { timezone, groups } = await groupsOf(user.id);
    const input = {
      code: form.code?.trim() || undefined,
      title: form.title,
      description: form.description ?? '',
      group: form.group,
      devices: form.devices,
      // Only members of the chosen group: ticks left in another group's list do not count.
      executors: form.executors.filter((id) => (groups.find((g) => g.id === form.group)?.members ?? []).includes(id)),
      script: form.script,
      windowStart: formDate(form.windowStart, timezone),
      windowEnd: formDate(form.windowEnd, timezone),
      emergency: form.emergency === 'yes',
    };
    const { _csrf: _token, intent: _intent, checked: _checked, ...draft } = form;
    const fingerprint = draftFingerprint(draft);
    const actor = actorOf(req, user.id);
    try {
      if (form.intent === 'file' && form.checked === fingerprint) {
        const change = await registerChange(ctx.deps, input, actor);
        ctx.logger.info({ change: change.code, user: user.id }, 'change filed on the web');
        return res.redirect(303, `/changes/${encodeURIComponent(change.code)}?done=filed`);
      }
      const validation = await validateChangeDraft(ctx.deps, input, actor);
      await showForm(req, res, form, {
        preflight: preflightView(form.script, validation),
        // The requester is warned before filing: other changes on these servers then, and the freeze an emergency is filed into.
        conflicts: await findChangeConflicts(ctx.deps, { ...input, devices: [...new Set(input.devices)], requester: user.id }),
        fingerprint: validation.codeTaken ? undefined : fingerprint,
        changedSinceCheck: form.intent === 'file',
      });
    } catch (error) {
      if (!(error instanceof ServiceError) || error.kind === 'not_found') throw error;
      await showForm(req, res, form, { error: error.message, fields: error.fields }, STATUS_OF_KIND[error.kind]);
    }
  });
}
