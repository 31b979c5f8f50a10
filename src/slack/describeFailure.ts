import type { Logger } from '../logger.js';
import { ServiceError } from '../services/serviceError.js';
import { escapeMrkdwn } from '../notify/slackEscape.js';

/**
 * One line for the person who asked: a refusal says why (services word it for people);
 * anything unexpected is logged in full and summarised without internals.
 */
export function describeFailure(error: unknown, logger: Logger, what: string): string {
  if (error instanceof ServiceError) {
    const message = error.message.split('\n')[0] ?? error.message;
    return escapeMrkdwn(message.charAt(0).toUpperCase() + message.slice(1));
  }
  logger.error({ err: error }, `${what} failed`);
  return `Sorry, ${what} failed on our side; it has been logged.`;
}
