import { exponential, when, type BackoffStrategy } from 'agenda';
import { ServiceError } from '../services/serviceError.js';
import { InvalidJobDataError } from './jobNames.js';
import type { SchedulerSettings } from './schedulerSettings.js';

/**
 * Failed runs are retried with exponential backoff, except failures that a retry cannot
 * fix: a job's data is malformed, or a service refused for good (no such change, invalid,
 * forbidden). Store outages, lost races and notifier failures are worth another try.
 */
export function jobBackoff(retry: SchedulerSettings['retry']): BackoffStrategy {
  return when(
    ({ error }) =>
      !(error instanceof InvalidJobDataError) &&
      !(error instanceof ServiceError && (error.kind === 'not_found' || error.kind === 'invalid' || error.kind === 'forbidden')),
    exponential({ delay: retry.firstDelayMs, factor: 2, maxRetries: retry.maxRetries }),
  );
}
