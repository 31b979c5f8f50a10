import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { BASE_COOKIE_OPTIONS, COOKIE } from './cookieNames.js';

/**
 * A random id per browser, set on the first visit. CSRF tokens are bound to it, so a token
 * taken from one browser is worthless in another, signed in or not (the sign-in form too).
 */
export function browserIdentity(req: Request, res: Response, next: NextFunction): void {
  const cookies = (req.cookies ?? {}) as Record<string, string>;
  const current = cookies[COOKIE.browser];
  if (typeof current !== 'string' || !/^[\w-]{22}$/.test(current)) {
    const id = randomBytes(16).toString('base64url');
    res.cookie(COOKIE.browser, id, BASE_COOKIE_OPTIONS);
    req.cookies = { ...cookies, [COOKIE.browser]: id };
  }
  next();
}
