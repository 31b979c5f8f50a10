/** The longest window a change may ask for: longer work is several changes. */
export const MAX_WINDOW_MS = 31 * 24 * 3600 * 1000;

/**
 * What is wrong with a proposed change window, per form field (empty when it is acceptable).
 * Filing and rescheduling apply the same rules, so a window refused at filing cannot be
 * obtained by moving an accepted one.
 */
export function windowProblems(windowStart: Date, windowEnd: Date, now: Date): Record<string, string> {
  if (windowEnd.getTime() <= windowStart.getTime()) return { windowEnd: 'must be after the start' };
  if (windowEnd.getTime() <= now.getTime()) return { windowEnd: 'is in the past' };
  if (windowEnd.getTime() - windowStart.getTime() > MAX_WINDOW_MS) return { windowEnd: 'window is longer than 31 days' };
  return {};
}
