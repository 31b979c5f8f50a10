import { Router } from 'express';
import type { Store } from '../store/store.js';

/** Liveness answers while the process runs; readiness only while the store answers too. */
export function healthRoutes(store: Store, extraChecks: Record<string, () => boolean> = {}): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    try {
      await store.ping();
      checks.store = 'ok';
    } catch (error) {
      checks.store = (error as Error).message;
    }
    for (const [name, check] of Object.entries(extraChecks)) checks[name] = check() ? 'ok' : 'not running';
    const ready = Object.values(checks).every((v) => v === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return router;
}
