import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ServiceError, type ServiceErrorKind } from '../../services/serviceError.js';
import type { PortalContext } from '../portalContext.js';
import { HttpRefusal } from './httpRefusal.js';
import { renderPage } from './renderPage.js';

export const STATUS_OF_KIND: Readonly<Record<ServiceErrorKind, number>> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'That request is not valid',
  403: 'Not allowed',
  404: 'Not found',
  409: 'That cannot be done now',
  413: 'Too much data',
  415: 'Not a form',
  421: 'Wrong address',
  429: 'Too many requests',
  503: 'Not available',
};

/** What a refusal looks like to the user: a status and a message they can act on. */
export function refusalOf(error: unknown): { status: number; message: string } | null {
  if (error instanceof ServiceError) return { status: STATUS_OF_KIND[error.kind], message: error.message };
  if (error instanceof HttpRefusal) return { status: error.status, message: error.message };
  const e = error as { code?: unknown; status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown } | null;
  if (e?.code === 'EBADCSRFTOKEN') return { status: 403, message: String(e.message) };
  // body-parser's own errors carry a 4xx status and a safe `type`.
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    const message =
      e?.type === 'entity.too.large' ? 'the form sent too much data' : e?.type === 'parameters.too.many' ? 'the form has too many fields' : 'the request could not be read';
    return { status, message };
  }
  return null;
}

export async function renderRefusal(ctx: PortalContext, req: Request, res: Response, status: number, message: string): Promise<void> {
  await renderPage(ctx, req, res, 'error', { title: TITLES[status] ?? 'Refused', status, message }, status);
}

/** Unknown portal paths get a page, not Express's bare text. */
export function portalNotFound(ctx: PortalContext) {
  return async (req: Request, res: Response): Promise<void> => {
    await renderRefusal(ctx, req, res, 404, `there is no page at ${req.path}`);
  };
}

/**
 * Refusals become their status page; anything else is logged with an incident id and shown
 * as a 500 page carrying only that id: never a stack trace.
 */
export function portalErrorHandler(ctx: PortalContext) {
  return async (error: unknown, req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (res.headersSent) return next(error);
    const refusal = refusalOf(error);
    try {
      if (refusal) return await renderRefusal(ctx, req, res, refusal.status, refusal.message);
      const incident = randomUUID();
      ctx.logger.error({ err: error, incident, path: req.path, method: req.method }, 'web request failed');
      await renderPage(ctx, req, res, 'error', { title: 'Something went wrong', status: 500, incident, message: 'the server could not complete this request' }, 500);
    } catch (renderError) {
      ctx.logger.error({ err: renderError }, 'error page failed');
      if (!res.headersSent) res.status(500).type('text').send('Something went wrong.');
    }
  };
}
