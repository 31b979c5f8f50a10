import type { Request, Response, Router } from 'express';
import { viewerOf } from '../http/portalLocals.js';

/** `/` sends signed-in users to their approvals and everyone else to sign in. */
export function register(router: Router): void {
  router.get('/', function showHome(_req: Request, res: Response) {
    res.redirect(303, viewerOf(res) ? '/approvals' : '/signin');
  });
}
