import type { LineEvaluation } from './evaluateLine.js';
import type { Verdict } from './verdict.js';

export interface InterruptResolution {
  /** block while attempts remain, interrupt on the rule's N-th attempt in the session. */
  readonly verdict: Verdict;
  /** Attempts counted per interrupt rule, including this one. */
  readonly attempts: ReadonlyMap<string, number>;
}

/**
 * An interrupt rule with `attempts: 3` blocks the first two tries in a session and cuts the
 * session on the third. `previous` holds the tries already made in this session.
 */
export function resolveInterrupt(evaluation: LineEvaluation, previous: ReadonlyMap<string, number>): InterruptResolution {
  const attempts = new Map(previous);
  if (evaluation.verdict !== 'interrupt') return { verdict: evaluation.verdict, attempts };
  // Tampering with the check is not an attempt a rule counts: the session ends at once.
  let cut = evaluation.tampering;
  for (const compiled of evaluation.matchedRules) {
    if (compiled.rule.action !== 'interrupt') continue;
    const count = (attempts.get(compiled.rule.id) ?? 0) + 1;
    attempts.set(compiled.rule.id, count);
    if (count >= compiled.rule.attempts) cut = true;
  }
  return { verdict: cut ? 'interrupt' : 'block', attempts };
}
