import type { Risk } from '../policy/policy.js';

/** What happens to a command line. Force is not a verdict: it narrows what `allow` means. */
export type Verdict = 'allow' | 'block' | 'interrupt';

const SEVERITY: Record<Verdict, number> = { allow: 0, block: 1, interrupt: 2 };
const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

export function mostSevere(a: Verdict, b: Verdict): Verdict {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

export function highestRisk(a: Risk | null, b: Risk | null): Risk | null {
  if (a === null) return b;
  if (b === null) return a;
  return RISK_ORDER[b] > RISK_ORDER[a] ? b : a;
}

/**
 * Pseudo rule ids reported when no policy rule matched but the engine still refused.
 * Policy rule ids cannot contain parentheses, so these never collide.
 */
export const OPAQUE_RULE_ID = '(opaque)';
export const FORCE_RULE_ID = '(force)';
/** The line would switch off changeguard's run-time check: the session is cut. */
export const TAMPER_RULE_ID = '(tamper)';
/** A file transfer (scp, sftp, rsync) where the policy does not allow transfers. */
export const TRANSFER_RULE_ID = '(transfer)';
/** The line holds control characters or bidi overrides: it would not read as what it is. */
export const UNREADABLE_RULE_ID = '(unreadable)';
/** A command bash was about to run that the judged line did not contain (found by the run-time check). */
export const UNJUDGED_RULE_ID = '(unjudged)';
