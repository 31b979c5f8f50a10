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
  '/commands',
  '/policy',
  '/outbox',
  '/reports',
  '/approve',
  '/assets',
] as const;

/** Slack's paths (`/slack/events` in HTTP mode): never the portal's, whatever the method. */
const SLACK_PREFIX = '/slack/';

export function isPortalPath(path: string): boolean {
  return path === '/' || PORTAL_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * The portal's own paths, and any other page a browser asks for (GET or HEAD outside Slack's
 * paths), which gets the portal's styled 404 rather than Express's bare "Cannot GET".
 */
export function onlyPortalPaths(req: Request, _res: Response, next: NextFunction): void {
  const browsing = (req.method === 'GET' || req.method === 'HEAD') && !req.path.startsWith(SLACK_PREFIX);
  if (isPortalPath(req.path) || browsing) next();
  else next('router');
}
