import type { Response } from 'express';
import type { PolicyUser } from '../../domain/policy/policy.js';

/** The signed-in user, resolved against the current policy for every request. */
export interface Viewer {
  readonly user: PolicyUser;
  readonly method: 'slack' | 'local';
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
