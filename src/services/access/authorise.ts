import { decideAccess, type AccessSubject, type Action, type Asker } from '../../domain/access/authorisation.js';
import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** What a refused attempt is recorded as (status D). */
export interface AttemptRecord {
  readonly eventType: string;
  readonly class: string;
  readonly object?: string | undefined;
  readonly change?: string | undefined;
  readonly reason?: string | undefined;
}

/** The authorisation table's view of an actor: a policy user (refused when unknown), changeguard, or an operator. */
export async function askerOf(deps: ServiceDeps, actor: Actor): Promise<Asker | null> {
  // `system` is changeguard itself (no policy user may take the name: the policy schema refuses it).
  if (actor.kind === 'system' || (actor.kind === undefined && actor.userId === 'system')) return { kind: 'system' };
  if (actor.kind === 'operator') return { kind: 'operator', name: actor.userId };
  const user = await deps.policies.user(actor.userId);
  return user ? { kind: 'user', user } : null;
}

/**
 * Asks the authorisation table whether `actor` may take `action` on `subject`; a refusal is
 * audited (status D) and thrown as a ServiceError of kind `forbidden`, whose message every
 * adapter shows as it is.
 */
export async function authorise(deps: ServiceDeps, actor: Actor, action: Action, subject: AccessSubject, attempt: AttemptRecord): Promise<Asker> {
  const asker = await askerOf(deps, actor);
  const decision = asker ? decideAccess(action, asker, subject) : { allowed: false as const, message: `${actor.userId} is not a user of the policy` };
  if (decision.allowed) return asker!;
  await deps.audit.record(actor, { status: 'D', ...attempt, details: `refused: ${decision.message}` });
  const refusal = new ServiceError('forbidden', decision.message);
  refusal.audited = true;
  throw refusal;
}

/** The same question for a read (a list, a page): refused with the table's words, not audited. */
export async function permit(deps: ServiceDeps, actor: Actor, action: Action, subject: AccessSubject = {}): Promise<Asker> {
  const asker = await askerOf(deps, actor);
  const decision = asker ? decideAccess(action, asker, subject) : { allowed: false as const, message: `${actor.userId} is not a user of the policy` };
  if (!decision.allowed) throw new ServiceError('forbidden', decision.message);
  return asker!;
}

/** The policy user an actor is (for actions only people take), refused like any other refusal. */
export async function authoriseUser(deps: ServiceDeps, actor: Actor, action: Action, subject: AccessSubject, attempt: AttemptRecord): Promise<PolicyUser> {
  const asker = await authorise(deps, actor, action, subject, attempt);
  if (asker.kind !== 'user') throw new ServiceError('forbidden', `${action} is taken by a person of the policy`);
  return asker.user;
}
