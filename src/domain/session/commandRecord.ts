import type { Risk } from '../policy/policy.js';
import type { Verdict } from '../rules/verdict.js';

/** One judged command line, as stored: the raw line plus what the engine saw and decided. */
export interface CommandRecord {
  readonly id: string;
  readonly sessionId: string;
  readonly changeCode: string;
  readonly user: string;
  readonly device: string;
  readonly at: Date;
  readonly source: 'shell' | 'exec';
  readonly line: string;
  /** Normalised texts of every simple command, wrappers included. */
  readonly commands: readonly string[];
  /** Normalised texts of what actually runs (wrappers left out): compared with the plan. */
  readonly effective: readonly string[];
  readonly verdict: Verdict;
  readonly ruleIds: readonly string[];
  readonly risk: Risk | null;
  readonly reason?: string | undefined;
  /** Exit status when it can be known (exec always; shell with prompt markers). */
  readonly exitStatus?: number | undefined;
}
