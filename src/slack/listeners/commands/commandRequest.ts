import type { types } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackActor } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';

/** One `/change <subcommand> ...` after acknowledgement, with the policy user behind it. */
export interface CommandRequest {
  readonly context: SlackContext;
  readonly who: SlackActor;
  /** The words after the subcommand. */
  readonly args: readonly string[];
  /** The text after the subcommand, as typed (keys and reasons keep their spacing). */
  readonly rest: string;
  readonly triggerId: string;
  readonly client: WebClient;
  /** An ephemeral answer, visible only to whoever typed the command. */
  readonly reply: (message: { text: string; blocks?: types.KnownBlock[] }) => Promise<void>;
}

export type SubcommandHandler = (request: CommandRequest) => Promise<void>;
