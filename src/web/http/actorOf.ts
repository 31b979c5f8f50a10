import type { Request } from 'express';
import type { Actor } from '../../services/actor.js';

/** Audit records name the web and the client address as the terminal. */
export function actorOf(req: Request, userId: string): Actor {
  return { userId, terminal: `web ${req.ip ?? 'unknown'}` };
}
