import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type Router } from 'express';
import { WEB_TEMPLATES_DIR } from '../rendering/pageRenderer.js';

const require = createRequire(import.meta.url);

/** Where asciinema-player's prebuilt bundle lives in node_modules: served as is, no build step. */
export const PLAYER_BUNDLE_DIR = dirname(require.resolve('asciinema-player/dist/bundle/asciinema-player.min.js'));

/** Stylesheet, page scripts and the player, from this site only (the CSP allows nothing else). */
export function register(router: Router): void {
  const options = { index: false, redirect: false, maxAge: '1h', fallthrough: true } as const;
  router.use('/assets/vendor/asciinema-player', express.static(PLAYER_BUNDLE_DIR, options));
  router.use('/assets', express.static(join(WEB_TEMPLATES_DIR, 'static'), options));
}
