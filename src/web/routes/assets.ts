import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { WEB_TEMPLATES_DIR } from '../rendering/pageRenderer.js';

const require = createRequire(import.meta.url);

/** Where asciinema-player's prebuilt bundle lives in node_modules: served as is, no build step. */
export const PLAYER_BUNDLE_DIR = dirname(require.resolve('asciinema-player/dist/bundle/asciinema-player.min.js'));
/** xterm.js (the live watch's terminal): its UMD script and stylesheet, as published. */
export const XTERM_PACKAGE_DIR = dirname(require.resolve('@xterm/xterm/package.json'));

/** Stylesheet, page scripts, the player and the terminal, from this site only (the CSP allows nothing else). */
export function register(router: Router): void {
  const options = { index: false, redirect: false, maxAge: '1h', fallthrough: true } as const;
  router.use('/assets/vendor/asciinema-player', express.static(PLAYER_BUNDLE_DIR, options));
  // Only the built files: nothing else of the package (sources, maps' sources) is served.
  router.get('/assets/vendor/xterm/xterm.js', vendorFile(join(XTERM_PACKAGE_DIR, 'lib', 'xterm.js')));
  router.get('/assets/vendor/xterm/xterm.css', vendorFile(join(XTERM_PACKAGE_DIR, 'css', 'xterm.css')));
  router.use('/assets', express.static(join(WEB_TEMPLATES_DIR, 'static'), options));
}

function vendorFile(file: string): RequestHandler {
  return function serveVendorFile(_req, res, next) {
    res.sendFile(file, { maxAge: '1h' }, (error) => {
      if (error) next(error);
    });
  };
}
