/**
 * What a scheduled step did. Steps run from jobs that may fire twice, late, or after the
 * change moved on; `skipped` says why nothing was done, for the job log, and `obsolete`
 * that the step can never apply again (a repeating job for it can go).
 */
export type TimedStepResult =
  | { readonly done: true }
  | { readonly done: false; readonly skipped: string; readonly obsolete: boolean };

export const DONE: TimedStepResult = { done: true };

export function skipped(reason: string, options: { obsolete?: boolean } = {}): TimedStepResult {
  return { done: false, skipped: reason, obsolete: options.obsolete ?? false };
}
