import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { HttpRefusal } from './httpRefusal.js';

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export interface PortalRateLimits {
  /** Sign-in attempts (Slack redirects, callbacks, local sign-in) per client address. */
  readonly signIn: RateLimit;
  /** Decisions (approve, reject, revoke, cancel, terminate, lock) per client address. */
  readonly decisions: RateLimit;
  /** Failed password sign-ins per account, from any address: bounds guessing one user's password from many addresses. */
  readonly passwordFailures: RateLimit;
}

export const DEFAULT_RATE_LIMITS: PortalRateLimits = {
  signIn: { limit: 20, windowMs: 5 * 60_000 },
  decisions: { limit: 60, windowMs: 60_000 },
  passwordFailures: { limit: 10, windowMs: 15 * 60_000 },
};

/**
 * Counts per client address in this process's memory: behind a load balancer each process
 * counts its own share, which still bounds guessing and scripted clicking.
 */
export function rateLimiter(setting: RateLimit, what: string): RequestHandler {
  return rateLimit({
    windowMs: setting.windowMs,
    limit: setting.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new HttpRefusal(429, `too many ${what} from your address: wait a few minutes and try again`)),
  });
}

/**
 * Failed password sign-ins per account name (a refusal is a 4xx answer; a success is not
 * counted). The price is that someone can keep one user's password sign-in refused by failing
 * on purpose; that user can still sign in with Slack, or wait the window out.
 */
export function passwordFailureLimiter(setting: RateLimit): RequestHandler {
  return rateLimit({
    windowMs: setting.windowMs,
    limit: setting.limit,
    standardHeaders: false,
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    keyGenerator: (req) => {
      const user = (req.body as { user?: unknown } | undefined)?.user;
      return `account:${typeof user === 'string' ? user.trim().toLowerCase().slice(0, 64) : ''}`;
    },
    handler: (_req, _res, next) =>
      next(new HttpRefusal(429, 'too many failed sign-ins for this user: password sign-in for it is paused for a few minutes')),
  });
}
