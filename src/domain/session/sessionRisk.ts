import type { Risk } from '../policy/policy.js';
import type { CommandRecord } from './commandRecord.js';

export interface SessionRiskAssessment {
  readonly risk: Risk | null;
  readonly reasons: readonly string[];
}

/** Refused commands in one session from which it counts as high-risk even without a high-risk rule. */
export const HIGH_RISK_REFUSALS = 3;

/**
 * A session is high-risk when it ran or tried a high-criticality command, was interrupted,
 * or had several commands refused: the behaviours the security channel wants to look at.
 */
export function assessSessionRisk(commands: readonly CommandRecord[]): SessionRiskAssessment {
  const reasons: string[] = [];
  const high = commands.filter((c) => c.risk === 'high');
  if (high.length > 0) reasons.push(`${high.length} high-criticality command${high.length > 1 ? 's' : ''}`);
  if (commands.some((c) => c.verdict === 'interrupt')) reasons.push('interrupted by a rule');
  const refused = commands.filter((c) => c.verdict !== 'allow').length;
  if (refused >= HIGH_RISK_REFUSALS) reasons.push(`${refused} commands refused`);
  if (reasons.length > 0) return { risk: 'high', reasons };
  if (commands.some((c) => c.risk === 'medium') || refused > 0) return { risk: 'medium', reasons: [] };
  if (commands.some((c) => c.risk === 'low')) return { risk: 'low', reasons: [] };
  return { risk: null, reasons: [] };
}
