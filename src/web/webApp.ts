import express, { type Express } from 'express';
import type { Store } from '../store/store.js';
import { healthRoutes } from './healthRoutes.js';

/** The one HTTP app: web pages and (when configured) Slack's `/slack/events` are mounted on it. */
export function createWebApp(store: Store): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(store));
  return app;
}
