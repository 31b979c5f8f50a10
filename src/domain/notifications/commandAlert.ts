import type { Risk } from '../policy/policy.js';
import type { Verdict } from '../rules/verdict.js';
import type { NotificationType } from './catalogue.js';

/**
 * The one security post a judged command gets, or none: a stopped command is reported as
 * stopped (interrupt before block); an allowed one that a rule audits as "Command detected -
 * Allow", or by its criticality when its rule is of medium or high risk, so those stand out
 * (rules are low risk unless they say otherwise: `command.low_criticality` is never needed).
 * The post shows the verdict, the rules and the risk together: nothing needs a second message.
 */
export function commandAlertType(verdict: Verdict, ruleIds: readonly string[], risk: Risk | null): NotificationType | null {
  if (verdict === 'interrupt') return 'command.block_interrupt';
  if (verdict === 'block') return 'command.block';
  // Pseudo rules (`(opaque)`, `(force)`) never allow anything: only policy rules audit a command.
  if (!ruleIds.some((id) => !id.startsWith('('))) return null;
  if (risk === 'high') return 'command.high_criticality';
  if (risk === 'medium') return 'command.medium_criticality';
  return 'command.allow';
}
