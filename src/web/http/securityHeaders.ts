import type { RequestHandler } from 'express';
import helmet from 'helmet';

type Directives = Record<string, string[]>;

function directives(options: { https: boolean; wasm: boolean }): Directives {
  return {
    'default-src': ["'none'"],
    // No inline script anywhere; the replay page also lets the player compile its WebAssembly
    // terminal ('wasm-unsafe-eval' allows WebAssembly only, not eval of JavaScript).
    'script-src': options.wasm ? ["'self'", "'wasm-unsafe-eval'"] : ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'object-src': ["'none'"],
    // Local mode is plain HTTP on loopback: upgrading its requests would break it.
    ...(options.https ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

/** Helmet's headers with a strict CSP: scripts and styles from this site only, no inline code. */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: directives({ ...options, wasm: false }) },
    strictTransportSecurity: options.https,
    referrerPolicy: { policy: 'same-origin' },
  });
}

/** The same policy plus WebAssembly, for the page that replays recordings. */
export function replayPageCsp(options: { https: boolean }): RequestHandler {
  return helmet.contentSecurityPolicy({ useDefaults: false, directives: directives({ ...options, wasm: true }) });
}
