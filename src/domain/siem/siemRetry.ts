/** The longest a sink waits between attempts: a SIEM back after an outage gets the backlog within a minute. */
export const MAX_SIEM_RETRY_MS = 60_000;
const FIRST_RETRY_MS = 1000;

/**
 * When to try a sink again after `failures` failed attempts in a row: 1 s, 2 s, 4 s, ...
 * up to a minute, with up to a tenth more at random (`jitter` in [0, 1)) so processes sharing
 * a store do not knock in step. A sink is never given up on: the stream must not lose events.
 */
export function siemRetryDelayMs(failures: number, jitter: number): number {
  const base = Math.min(MAX_SIEM_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(failures - 1, 16)));
  return Math.round(base * (1 + Math.min(Math.max(jitter, 0), 0.999) / 10));
}
