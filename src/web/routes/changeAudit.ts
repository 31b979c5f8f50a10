import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { changeAuditFor } from '../../services/access/changeAccess.js';
import { buildEvidencePack } from '../../services/audit/evidencePack.js';
import { evidencePackCsv } from '../../services/audit/evidencePackCsv.js';
import { actorOf } from '../http/actorOf.js';
import { parseInput } from '../http/parseInput.js';
import { changeCodeParam } from '../http/pathParams.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const noQuery = z.strictObject({});

/**
 * The change audit: the planned script and what ran, aligned (missing in red, extra in
 * green, blocked attempts apart), the outcome and the sessions; plus the evidence pack.
 */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/changes/:code/audit', requireViewer, async function showChangeAudit(req: Request, res: Response) {
    const { code } = parseInput(changeCodeParam, req.params, 'path');
    parseInput(noQuery, req.query, 'query');
    const report = await changeAuditFor(ctx.deps, signedIn(res).user, code);
    const commands = new Map(report.commands.map((c) => [c.id, c]));
    const { audit } = report;
    await renderPage(ctx, req, res, 'changeAudit', {
      title: `Audit of ${report.change.code}`,
      change: report.change,
      outcome: report.change.status === 'in_progress' ? undefined : (report.change.outcome ?? audit.outcome),
      liveOutcome: audit.outcome,
      counts: audit.counts,
      planned: audit.planned,
      executed: audit.executed.map((e) => ({
        ...e,
        user: commands.get(e.ref)?.user,
        exitStatus: commands.get(e.ref)?.exitStatus,
        // Worth spelling out only when a line ran planned and unplanned commands together.
        partlyExtra: e.extraCommands.length > 0 && e.extraCommands.length < e.commands.length,
      })),
      blocked: audit.blocked.map((b) => ({ ...b, user: commands.get(b.ref)?.user, ruleIds: commands.get(b.ref)?.ruleIds ?? [], reason: commands.get(b.ref)?.reason })),
      sessions: report.sessions,
    });
  });

  router.get('/changes/:code/evidence.json', requireViewer, async function exportEvidenceJson(req: Request, res: Response) {
    const { code } = parseInput(changeCodeParam, req.params, 'path');
    parseInput(noQuery, req.query, 'query');
    const { user } = signedIn(res);
    const pack = await buildEvidencePack(ctx.deps, user, actorOf(req, user.id), code);
    res.attachment(`${pack.change.code}-evidence.json`).type('application/json').set('Cache-Control', 'no-store');
    res.send(`${JSON.stringify(pack, null, 2)}\n`);
  });

  router.get('/changes/:code/evidence.csv', requireViewer, async function exportEvidenceCsv(req: Request, res: Response) {
    const { code } = parseInput(changeCodeParam, req.params, 'path');
    parseInput(noQuery, req.query, 'query');
    const { user } = signedIn(res);
    const pack = await buildEvidencePack(ctx.deps, user, actorOf(req, user.id), code);
    res.attachment(`${pack.change.code}-evidence.csv`).type('text/csv; charset=utf-8').set('Cache-Control', 'no-store');
    await pipeline(Readable.from(evidencePackCsv(pack)), res);
  });
}
