import type { Response } from 'express';
import type { PolicyUser } from '../../domain/policy/policy.js';

/** How someone signed in: Sign in with Slack, the loopback picker, or a policy password. */
export type SignInMethod = 'slack' | 'local' | 'password';

export const SIGN_IN_METHODS: readonly SignInMethod[] = ['slack', 'local', 'password'];

/** The signed-in user, resolved against the current policy for every request. */
export interface Viewer {
  readonly user: PolicyUser;
  readonly method: SignInMethod;
}

interface PortalLocals {
  viewer?: Viewer | undefined;
}

export function setViewer(res: Response, viewer: Viewer | undefined): void {
  (res.locals as PortalLocals).viewer = viewer;
}

export function viewerOf(res: Response): Viewer | undefined {
  return (res.locals as PortalLocals).viewer;
}
