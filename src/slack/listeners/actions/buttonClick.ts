import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { z } from 'zod';
import { describeFailure } from '../../describeFailure.js';
import { actorFromSlack, UNMAPPED_USER_MESSAGE, type SlackActor } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** A one-line answer only the clicker sees; the message they clicked stays as it is. */
export function ephemeral(args: ButtonArgs, text: string): Promise<unknown> {
  return args.respond({ response_type: 'ephemeral', replace_original: false, text });
}

function parseValue<T>(schema: z.ZodType<T>, text: string | undefined): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(text ?? ''));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * What every button does around its own work: acknowledge at once, refuse a value changeguard
 * did not make, map the clicker to a policy user, and turn any failure into one ephemeral line.
 * `work` returns the answer to show, or nothing when it answered itself.
 */
export async function handleButtonClick<T>(
  context: SlackContext,
  args: ButtonArgs,
  schema: z.ZodType<T>,
  doing: string,
  work: (value: T, who: SlackActor) => Promise<string | undefined>,
): Promise<void> {
  await args.ack();
  const value = parseValue(schema, args.action.value);
  if (value === null) {
    await ephemeral(args, 'This button is not one changeguard made; nothing was done.');
    return;
  }
  try {
    const who = await actorFromSlack(context, args.body.user.id);
    if (!who) {
      await ephemeral(args, UNMAPPED_USER_MESSAGE);
      return;
    }
    const answer = await work(value, who);
    if (answer !== undefined) await ephemeral(args, answer);
  } catch (error) {
    await ephemeral(args, describeFailure(error, context.logger, doing));
  }
}
