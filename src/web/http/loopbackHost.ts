import { isIP } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { HttpRefusal } from './httpRefusal.js';

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach. */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

/**
 * With local sign-in (no password, loopback only), a page on another site could point its
 * own host name at 127.0.0.1 (DNS rebinding) and drive the portal from the user's browser.
 * Refusing any Host that is not a loopback name closes that door.
 */
export function loopbackHostOnly(req: Request, _res: Response, next: NextFunction): void {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (isLoopbackAddress(host)) return next();
  next(new HttpRefusal(421, 'local sign-in is on: this portal answers only on a loopback address (127.0.0.1, ::1, localhost)'));
}
