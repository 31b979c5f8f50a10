import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';

type DirectiveValue = string | ((req: IncomingMessage, res: ServerResponse) => string);
type Directives = Record<string, DirectiveValue[]>;

function directives(options: { https: boolean; wasm: boolean }): Directives {
  return {
    'default-src': ["'none'"],
    // No inline script anywhere; the session page also lets the replay player compile its WebAssembly
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

/** The nonce a page's own script stamps on the style elements the live terminal creates. */
export function styleNonceOf(res: Response): string | undefined {
  const nonce = (res.locals as { styleNonce?: unknown }).styleNonce;
  return typeof nonce === 'string' ? nonce : undefined;
}

/**
 * The session page: the same policy plus WebAssembly for the replay player, and what xterm.js
 * (the live terminal) needs. xterm.js draws with `<style>` elements it creates itself, which
 * take no nonce of their own: the page's script stamps a fresh per-response nonce on each
 * (`style-src-elem`), so no other style element is admitted. It also colours 24-bit cells
 * with `style` attributes: those are allowed (`style-src-attr`); an attribute styles only its
 * own element and runs nothing, and the templates never emit unescaped markup.
 */
export function sessionPageCsp(options: { https: boolean }): RequestHandler {
  const base = directives({ ...options, wasm: true });
  const policy = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      ...base,
      'style-src-elem': ["'self'", (_req, res) => `'nonce-${styleNonceOf(res as unknown as Response) ?? ''}'`],
      'style-src-attr': ["'unsafe-inline'"],
    },
  });
  return (req, res, next) => {
    res.locals.styleNonce = randomBytes(16).toString('hex');
    policy(req, res, next);
  };
}
