import type { Risk } from '../policy/policy.js';
import type { CommandRecord } from './commandRecord.js';

export interface SessionRiskAssessment {
  readonly risk: Risk | null;
  readonly reasons: readonly string[];
}

/** Refused commands in one session from which it counts as high-risk even without a high-risk rule. */
export const HIGH_RISK_REFUSALS = 3;

/**
 * What the risk assessment needs of a session's commands, counted as they come: a live
 * session keeps this instead of every command it judged (constant memory and work per command,
 * however long the session runs).
 */
export interface SessionRiskTally {
  readonly high: number;
  readonly interrupted: boolean;
  readonly refused: number;
  readonly medium: boolean;
  readonly low: boolean;
}

export const EMPTY_RISK_TALLY: SessionRiskTally = { high: 0, interrupted: false, refused: 0, medium: false, low: false };

export function tallyCommand(tally: SessionRiskTally, command: Pick<CommandRecord, 'risk' | 'verdict'>): SessionRiskTally {
  return {
    high: tally.high + (command.risk === 'high' ? 1 : 0),
    interrupted: tally.interrupted || command.verdict === 'interrupt',
    refused: tally.refused + (command.verdict === 'allow' ? 0 : 1),
    medium: tally.medium || command.risk === 'medium',
    low: tally.low || command.risk === 'low',
  };
}

/**
 * A session is high-risk when it ran or tried a high-criticality command, was interrupted,
 * or had several commands refused: the behaviours the security channel wants to look at.
 */
export function assessRiskTally(tally: SessionRiskTally): SessionRiskAssessment {
  const reasons: string[] = [];
  if (tally.high > 0) reasons.push(`${tally.high} high-criticality command${tally.high > 1 ? 's' : ''}`);
  if (tally.interrupted) reasons.push('interrupted by a rule');
  if (tally.refused >= HIGH_RISK_REFUSALS) reasons.push(`${tally.refused} commands refused`);
  if (reasons.length > 0) return { risk: 'high', reasons };
  if (tally.medium || tally.refused > 0) return { risk: 'medium', reasons: [] };
  if (tally.low) return { risk: 'low', reasons: [] };
  return { risk: null, reasons: [] };
}

export function assessSessionRisk(commands: readonly CommandRecord[]): SessionRiskAssessment {
  return assessRiskTally(commands.reduce(tallyCommand, EMPTY_RISK_TALLY));
}
