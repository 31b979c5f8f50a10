import { doubleCsrf } from 'csrf-csrf';
import type { Request, Response } from 'express';
import { BASE_COOKIE_OPTIONS, COOKIE } from './cookieNames.js';

export const CSRF_FIELD = '_csrf';

/**
 * Double-submit tokens (csrf-csrf): an HMAC-bound token in a cookie and the same token in
 * every form; a cross-site form can send the cookie but cannot read it to fill the field.
 */
export function portalCsrf(key: Buffer) {
  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => key.toString('hex'),
    getSessionIdentifier: (req) => ((req.cookies ?? {}) as Record<string, string>)[COOKIE.browser] ?? '',
    cookieName: COOKIE.csrf,
    cookieOptions: BASE_COOKIE_OPTIONS,
    getCsrfTokenFromRequest: (req) => {
      const value = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      return typeof value === 'string' ? value : undefined;
    },
    errorConfig: { message: 'this form was not sent from a changeguard page, or it has expired: reload the page and try again' },
  });
  return {
    protect: doubleCsrfProtection,
    tokenFor: (req: Request, res: Response) => generateCsrfToken(req, res),
  };
}
