import type { Change } from '../../domain/change/change.js';
import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { loadChange } from '../changes/changeWriter.js';
import { approveChange, rejectChange } from '../changes/reviewChange.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { ApprovalLinkClaims, ApprovalLinks } from './approvalLinks.js';

export type ApprovalLinkView =
  | { readonly ok: true; readonly claims: ApprovalLinkClaims; readonly change: Change; readonly used: boolean }
  | { readonly ok: false; readonly reason: 'malformed' | 'forged' | 'expired' };

const REFUSAL_TEXT = {
  malformed: 'this approval link is damaged (was it cut when copied?)',
  forged: 'this approval link was not issued by changeguard',
  expired: 'this approval link has expired: open the change from the approvals page instead',
} as const;

/** What a link points at, for the page a GET shows. Reads only: Slack's unfurler opens links too. */
export async function inspectApprovalLink(deps: ServiceDeps, links: ApprovalLinks, token: string): Promise<ApprovalLinkView> {
  const check = links.verify(token, deps.clock());
  if (!check.ok) return check;
  const change = await loadChange(deps, check.claims.code);
  return { ok: true, claims: check.claims, change, used: await deps.store.linkNonces.isUsed(check.claims.nonce) };
}

export type LinkDecision =
  | { readonly kind: 'approve'; readonly seenScriptHash: string }
  | { readonly kind: 'reject'; readonly reason: string };

/**
 * Decides through a personal approval link: valid signature, not expired, made for the
 * signed-in approver, and used once only (the nonce is claimed before the decision, so two
 * submissions of one link cannot both decide). Refusals are audited.
 */
export async function decideByApprovalLink(
  deps: ServiceDeps,
  links: ApprovalLinks,
  token: string,
  approver: PolicyUser,
  actor: Actor,
  decision: LinkDecision,
): Promise<Change> {
  const eventType = decision.kind === 'approve' ? 'APPROVE' : 'REJECT';
  const refuse = async (kind: 'forbidden' | 'conflict', message: string, code?: string): Promise<never> => {
    await deps.audit.record(actor, {
      status: 'D',
      eventType,
      class: 'CHANGE',
      object: code,
      change: code,
      details: `approval link refused: ${message}`,
    });
    throw new ServiceError(kind, message);
  };
  const now = deps.clock();
  const check = links.verify(token, now);
  if (!check.ok) return refuse('forbidden', REFUSAL_TEXT[check.reason]);
  const { claims } = check;
  if (claims.approver !== approver.id) {
    return refuse('forbidden', `this approval link was made for ${claims.approver}; you are signed in as ${approver.id}`, claims.code);
  }
  // Checked before the link is spent, so a forgotten reason does not burn it.
  if (decision.kind === 'reject' && decision.reason.trim() === '') {
    throw new ServiceError('invalid', 'a rejection needs a reason', { reason: 'is required' });
  }
  const first = await deps.store.linkNonces.claim({
    nonce: claims.nonce,
    code: claims.code,
    approver: claims.approver,
    usedAt: now,
    expiresAt: claims.expiresAt,
  });
  if (!first) return refuse('conflict', 'this approval link was already used', claims.code);
  // Housekeeping: nonces of expired links can go, those links are refused by their expiry.
  await deps.store.linkNonces.purgeExpired(now);
  if (decision.kind === 'approve') {
    return (await approveChange(deps, claims.code, actor, { seenScriptHash: decision.seenScriptHash, signedInOnWeb: true })).change;
  }
  return rejectChange(deps, claims.code, actor, decision.reason);
}
