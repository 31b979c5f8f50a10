import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { ChainVerification } from '../../domain/audit/verifyChain.js';
import { CHANGE_CODE_PATTERN } from '../../domain/change/changeCode.js';
import { exportAuditTrailFor, listAuditTrail, verifyAuditTrail } from '../../services/audit/auditTrailAccess.js';
import type { AuditQuery } from '../../store/auditRepository.js';
import { actorOf } from '../http/actorOf.js';
import { HttpRefusal } from '../http/httpRefusal.js';
import { pageLinks, pageNumber } from '../http/pagination.js';
import { parseInput } from '../http/parseInput.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const PAGE_SIZE = 50;
/** A verification is reused for a minute while the chain head stays put ("verify now" forces one). */
const VERIFICATION_MAX_AGE_MS = 60_000;

export const KNOWN_EVENT_TYPES = [
  'APPROVE', 'CANCEL', 'COMPLETE', 'CREATE', 'DELETE', 'EDIT', 'EXECUTE', 'EXPIRE', 'EXPORT', 'LOCK',
  'REJECT', 'REPORT', 'RESCHEDULE', 'REVOKE', 'SEARCH', 'SIGNIN', 'SIGNOUT', 'START', 'TERMINATE', 'UNLOCK', 'UPDATE', 'VIEW', 'WATCH',
] as const;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD').refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'expected a real date');
const empty = z.literal('');
const filters = {
  from: day.or(empty).optional(),
  to: day.or(empty).optional(),
  eventType: z.string().regex(/^[A-Za-z_]{1,40}$/, 'expected an event type such as APPROVE').transform((v) => v.toUpperCase()).or(empty).optional(),
  status: z.enum(['S', 'D', 'F']).or(empty).optional(),
  actor: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'expected a user id').or(empty).optional(),
  change: z.string().transform((v) => v.trim().toUpperCase()).pipe(z.string().regex(CHANGE_CODE_PATTERN, 'expected a change code such as CHG-42')).or(empty).optional(),
};
const trailQuery = z.strictObject({ ...filters, page: pageNumber, verify: z.literal('now').optional() });
const exportQuery = z.strictObject(filters);

type Filters = z.output<z.ZodObject<typeof filters>>;

const DAY_MS = 24 * 3600 * 1000;

/** The form's values as a store query; dates are whole UTC days, `to` included. */
function toQuery(f: Filters): Omit<AuditQuery, 'limit' | 'offset'> {
  const query = {
    since: f.from ? new Date(`${f.from}T00:00:00Z`) : undefined,
    until: f.to ? new Date(Date.parse(`${f.to}T00:00:00Z`) + DAY_MS) : undefined,
    eventType: f.eventType || undefined,
    status: f.status || undefined,
    actor: f.actor || undefined,
    change: f.change || undefined,
  };
  if (query.since && query.until && query.until <= query.since) throw new HttpRefusal(400, 'query parameter to: must not be before from');
  return query;
}

/** The audit trail for auditors: filters, pages, chain verification, CSV and JSON export. */
export function register(router: Router, ctx: PortalContext): void {
  let lastVerification: { result: ChainVerification; headSeq: number; at: number } | undefined;

  async function verification(force: boolean, user: Parameters<typeof verifyAuditTrail>[1]) {
    const head = await ctx.deps.store.audit.head();
    const now = ctx.deps.clock().getTime();
    const fresh = lastVerification && lastVerification.headSeq === (head?.seq ?? 0) && now - lastVerification.at < VERIFICATION_MAX_AGE_MS;
    if (force || !fresh) lastVerification = { result: await verifyAuditTrail(ctx.deps, user), headSeq: head?.seq ?? 0, at: now };
    return { ...lastVerification!.result, checkedAt: new Date(lastVerification!.at) };
  }

  router.get('/audit', requireViewer, async function showAuditTrail(req: Request, res: Response) {
    const query = parseInput(trailQuery, req.query, 'query');
    const { user } = signedIn(res);
    const { records, total } = await listAuditTrail(ctx.deps, user, { ...toQuery(query), limit: PAGE_SIZE, offset: (query.page - 1) * PAGE_SIZE });
    const shown: Record<string, string | undefined> = {
      from: query.from || undefined, to: query.to || undefined, eventType: query.eventType || undefined,
      status: query.status || undefined, actor: query.actor || undefined, change: query.change || undefined,
    };
    const exportQueryString = new URLSearchParams(Object.entries(shown).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    await renderPage(ctx, req, res, 'auditTrail', {
      title: 'Audit trail',
      records,
      total,
      filters: shown,
      eventTypes: KNOWN_EVENT_TYPES,
      statuses: ['S', 'D', 'F'].map((s) => ({ value: s, selected: s === query.status })),
      pages: { ...pageLinks('/audit', shown, query.page, query.page * PAGE_SIZE < total), count: Math.max(1, Math.ceil(total / PAGE_SIZE)) },
      chain: await verification(query.verify === 'now', user),
      verifyHref: `/audit?${new URLSearchParams({ ...Object.fromEntries(Object.entries(shown).filter((e): e is [string, string] => e[1] !== undefined)), verify: 'now' }).toString()}`,
      exportCsv: `/audit/export.csv${exportQueryString ? `?${exportQueryString}` : ''}`,
      exportJson: `/audit/export.json${exportQueryString ? `?${exportQueryString}` : ''}`,
    });
  });

  for (const format of ['csv', 'json'] as const) {
    router.get(`/audit/export.${format}`, requireViewer, async function exportAuditTrail(req: Request, res: Response) {
      const query = toQuery(parseInput(exportQuery, req.query, 'query'));
      const { user } = signedIn(res);
      const lines = await exportAuditTrailFor(ctx.deps, user, actorOf(req, user.id), format, query);
      const stamp = ctx.deps.clock().toISOString().slice(0, 10);
      res
        .attachment(`changeguard-audit-${stamp}.${format}`)
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json')
        .set('Cache-Control', 'no-store');
      await pipeline(Readable.from(lines), res);
    });
  }
}
