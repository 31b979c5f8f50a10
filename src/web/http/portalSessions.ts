import type { NextFunction, Request, Response } from 'express';
import type { Clock } from '../../domain/clock.js';
import type { PolicyService } from '../../services/policy/policyService.js';
import { ServiceError } from '../../services/serviceError.js';
import { BASE_COOKIE_OPTIONS, COOKIE } from './cookieNames.js';
import { safeLocalPath } from './localPath.js';
import type { Policy, PolicyUser } from '../../domain/policy/policy.js';
import { setViewer, SIGN_IN_METHODS, viewerOf, type SignInMethod, type Viewer } from './portalLocals.js';
import { SignedToken } from './signedToken.js';

export const DEFAULT_SESSION_TTL_MS = 12 * 3600 * 1000;

interface SessionPayload {
  /** Policy user id. */
  readonly u: string;
  readonly m: SignInMethod;
  /** Issued and expires, ms since the epoch. */
  readonly i: number;
  readonly e: number;
}

function isSessionPayload(value: unknown): value is SessionPayload {
  const v = value as Partial<SessionPayload> | null;
  return (
    typeof v === 'object' && v !== null && typeof v.u === 'string' && SIGN_IN_METHODS.includes(v.m as SignInMethod) &&
    typeof v.i === 'number' && typeof v.e === 'number'
  );
}

/**
 * Web sign-in kept in a signed cookie, so any process sharing the secret serves any request
 * and nothing needs a server-side session table. Roles are not in the cookie: they are read
 * from the current policy on each request, so a user removed from the policy is out at once.
 */
export class PortalSessions {
  private readonly tokens: SignedToken<SessionPayload>;

  constructor(
    key: Buffer,
    private readonly clock: Clock,
    private readonly ttlMs = DEFAULT_SESSION_TTL_MS,
  ) {
    this.tokens = new SignedToken(key, isSessionPayload);
  }

  issue(res: Response, userId: string, method: SignInMethod): void {
    const now = this.clock().getTime();
    res.cookie(COOKIE.session, this.tokens.sign({ u: userId, m: method, i: now, e: now + this.ttlMs }), {
      ...BASE_COOKIE_OPTIONS,
      maxAge: this.ttlMs,
    });
  }

  clear(res: Response): void {
    res.clearCookie(COOKIE.session, BASE_COOKIE_OPTIONS);
  }

  read(req: Request): { userId: string; method: SignInMethod; issuedAt: Date } | null {
    const payload = this.tokens.verify((req.cookies as Record<string, string> | undefined)?.[COOKIE.session]);
    if (!payload || payload.e <= this.clock().getTime()) return null;
    return { userId: payload.u, method: payload.m, issuedAt: new Date(payload.i) };
  }

  /**
   * Middleware: puts the signed-in user, if any, in `res.locals`. `isCurrent` says whether a
   * session issued then has not been ended since (sign-out, lock); `stillOffered` whether its
   * sign-in method is still offered (a picker session ends once the policy sets passwords).
   */
  resolveViewer(
    policies: PolicyService,
    isCurrent: (userId: string, issuedAt: Date) => Promise<boolean>,
    stillOffered: (method: SignInMethod, policy: Policy, user: PolicyUser) => boolean,
  ) {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      const read = this.read(req);
      const session = read && (await isCurrent(read.userId, read.issuedAt)) ? read : null;
      const found = session ? await policies.user(session.userId) : undefined;
      const user = found && session && stillOffered(session.method, (await policies.current()).policy, found) ? found : undefined;
      setViewer(res, user && session ? { user, method: session.method } : undefined);
      next();
    };
  }
}

/** Pages need a signed-in user: a GET is sent to sign in (and back), anything else is refused. */
export function requireViewer(req: Request, res: Response, next: NextFunction): void {
  if (viewerOf(res)) return next();
  if (req.method === 'GET' || req.method === 'HEAD') {
    res.redirect(303, `/signin?next=${encodeURIComponent(safeLocalPath(req.originalUrl))}`);
    return;
  }
  next(new ServiceError('forbidden', 'sign in first'));
}

/** The viewer of a page behind `requireViewer`. */
export function signedIn(res: Response): Viewer {
  const viewer = viewerOf(res);
  if (!viewer) throw new ServiceError('forbidden', 'sign in first');
  return viewer;
}
