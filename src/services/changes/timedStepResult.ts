/**
 * What a scheduled step did. Steps run from jobs that may fire twice, late, or after the
 * change moved on; `skipped` says why nothing was done, for the job log.
 */
export type TimedStepResult = { readonly done: true } | { readonly done: false; readonly skipped: string };

export const DONE: TimedStepResult = { done: true };

export function skipped(reason: string): TimedStepResult {
  return { done: false, skipped: reason };
}
