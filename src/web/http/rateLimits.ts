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
}

export const DEFAULT_RATE_LIMITS: PortalRateLimits = {
  signIn: { limit: 20, windowMs: 5 * 60_000 },
  decisions: { limit: 60, windowMs: 60_000 },
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
