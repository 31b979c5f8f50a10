import type { Change } from '../../domain/change/change.js';
import type { ShellFunction } from '../../domain/shell/simpleCommand.js';
import { EMPTY_RISK_TALLY, type SessionRiskTally } from '../../domain/session/sessionRisk.js';
import type { PolicySnapshot } from '../policy/policyService.js';
import type { SessionScope } from './judgeCommand.js';

/** What the services keep about one open session while it runs (in the process serving it). */
export interface LiveSession {
  readonly scope: SessionScope;
  /** The change as it was when the session opened: names it in notifications. */
  readonly change: Change;
  /** What the high-risk assessment needs of the commands judged so far. */
  riskTally: SessionRiskTally;
  highRiskRaised: boolean;
  /** The last policy read while the store answered: used only if the outage setting allows. */
  lastPolicy: PolicySnapshot | undefined;
  /** Shell functions defined on allowed lines, by name: their bodies may run when called. */
  readonly functions: Map<string, ShellFunction>;
  /** The directory the device's shell reported at its last prompt: relative file names are judged from it. */
  workingDirectory?: string | undefined;
}

export function newLiveSession(scope: SessionScope, change: Change): LiveSession {
  return { scope, change, riskTally: EMPTY_RISK_TALLY, highRiskRaised: false, lastPolicy: undefined, functions: new Map() };
}
