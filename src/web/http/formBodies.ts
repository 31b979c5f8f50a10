import type { NextFunction, Request, Response } from 'express';
import { HttpRefusal } from './httpRefusal.js';

/**
 * The portal's forms are all `application/x-www-form-urlencoded`. Any other body (JSON,
 * multipart, text) is refused with 415 naming what was sent, rather than read as an empty form
 * and turned down later for a missing CSRF token, which says nothing about the real mistake.
 */
export function formBodiesOnly(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  if (!hasBody || req.is('application/x-www-form-urlencoded')) {
    next();
    return;
  }
  const sent = (req.headers['content-type'] ?? 'no content type').split(';')[0]!.trim().slice(0, 100);
  next(new HttpRefusal(415, `expected a form (application/x-www-form-urlencoded), got ${sent}`));
}
