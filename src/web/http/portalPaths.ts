import type { NextFunction, Request, Response } from 'express';

/**
 * The paths the portal answers. Everything else (Slack's `/slack/events`, mounted on the same
 * app later) leaves the portal router untouched: its body parsers, cookies and CSRF checks
 * never see those requests, and Bolt still gets the raw body it verifies signatures on.
 */
export const PORTAL_PREFIXES = [
  '/signin',
  '/signout',
  '/auth',
  '/approvals',
  '/changes',
  '/sessions',
  '/locks',
  '/audit',
  '/policy',
  '/outbox',
  '/approve',
  '/assets',
] as const;

export function isPortalPath(path: string): boolean {
  return path === '/' || PORTAL_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

export function onlyPortalPaths(req: Request, _res: Response, next: NextFunction): void {
  if (isPortalPath(req.path)) next();
  else next('router');
}
