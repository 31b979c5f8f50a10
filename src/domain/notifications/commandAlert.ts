import type { Risk } from '../policy/policy.js';
import type { Verdict } from '../rules/verdict.js';
import type { NotificationType } from './catalogue.js';

const CRITICALITY = { high: 'command.high_criticality', medium: 'command.medium_criticality', low: 'command.low_criticality' } as const;

/**
 * The one security post a judged command gets, or none: a stopped command is reported as
 * stopped (interrupt before block), an allowed one by the criticality of the rule that
 * matched it, else as an audited command when a rule names it. The post shows the verdict,
 * the rules and the risk together, so nothing needs a second message.
 */
export function commandAlertType(verdict: Verdict, ruleIds: readonly string[], risk: Risk | null): NotificationType | null {
  if (verdict === 'interrupt') return 'command.block_interrupt';
  if (verdict === 'block') return 'command.block';
  if (risk !== null) return CRITICALITY[risk];
  // Pseudo rules (`(opaque)`, `(force)`) never allow anything: only policy rules audit a command.
  return ruleIds.some((id) => !id.startsWith('(')) ? 'command.allow' : null;
}
