import type { Actor } from '../actor.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { authorise } from './authorise.js';

/**
 * Web sessions are signed cookies that any process can check without a session table, so a
 * cookie cannot be taken back one by one. Signing out therefore ends every web session of
 * the user issued until now, in every browser: a copied cookie stops working too.
 */
export async function signOutOfWeb(deps: ServiceDeps, actor: Actor): Promise<void> {
  await authorise(deps, actor, 'web.signOut', { account: actor.userId }, { eventType: 'SIGNOUT', class: 'USER', object: actor.userId });
  const commit = await new CommitBuilder(deps, actor).audit({ status: 'S', eventType: 'SIGNOUT', class: 'USER', object: actor.userId, details: 'every web session of the user ended' }).build();
  await deps.store.accounts.endWebSessions(actor.userId, deps.clock(), commit);
  committed(deps, commit);
}

/** Whether a web session issued at `issuedAt` is still good (not ended by a sign-out or a lock since). */
export async function isWebSessionCurrent(deps: ServiceDeps, userId: string, issuedAt: Date): Promise<boolean> {
  const endedAt = await deps.store.accounts.webSessionsEndedAt(userId);
  return endedAt === null || issuedAt.getTime() > endedAt.getTime();
}
