import { z } from 'zod';
import { ACTION_IDS } from '../notify/interactiveActions.js';
import { describeIssue, formatPath } from '../domain/validation/formatIssue.js';
import { NEW_CHANGE_CALLBACK_ID, NEW_CHANGE_GROUP_ACTION_ID } from './views/newChangeModal.js';
import { REJECT_CALLBACK_ID } from './views/rejectModal.js';

/**
 * The shape of every signed request changeguard acts on, checked before Bolt routes it. Slack
 * itself never sends anything else; a request that does not fit (a replayed or hand-made one,
 * an action or form changeguard never made) is refused with a 400 naming what is wrong,
 * instead of crashing a listener half-way or, for anything no listener takes, holding the
 * connection for Bolt's three-second acknowledgement timeout.
 */

export const KNOWN_ACTION_IDS: readonly string[] = [...Object.values(ACTION_IDS), NEW_CHANGE_GROUP_ACTION_ID];
export const KNOWN_CALLBACK_IDS: readonly string[] = [NEW_CHANGE_CALLBACK_ID, REJECT_CALLBACK_ID];
export const KNOWN_COMMANDS: readonly string[] = ['/change'];

/** Slack ids: users, channels, teams. */
const slackId = z.string().regex(/^[A-Z0-9]{2,32}$/, 'must be a Slack id');
const user = z.looseObject({ id: slackId });
/** Slack caps these far lower; anything bigger is not from Slack. */
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/** `/change search` terms: the words (at most 200 characters) and a few `key:value` filters. */
export const MAX_SEARCH_TERMS = 500;
const SEARCH_SUBCOMMAND = /^\s*search(\s|$)/i;

const slashCommand = z
  .looseObject({
    command: z.enum(KNOWN_COMMANDS as [string, ...string[]]),
    text: text(8000).default(''),
    user_id: slackId,
    response_url: z.string().url().optional(),
    trigger_id: z.string().max(200).optional(),
  })
  .superRefine((command, ctx) => {
    // A search runs against every stored command: terms no person types are refused here.
    if (SEARCH_SUBCOMMAND.test(command.text) && command.text.trim().length - 'search'.length > MAX_SEARCH_TERMS) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: `search terms must be at most ${MAX_SEARCH_TERMS} characters`, input: command.text });
    }
  });

const blockActions = z.looseObject({
  type: z.literal('block_actions'),
  user,
  actions: z
    .array(
      z.looseObject({
        action_id: z.enum(KNOWN_ACTION_IDS as [string, ...string[]]),
        value: text(2000).optional(),
      }),
    )
    .min(1)
    .max(5),
});

const stateValue = z.looseObject({
  value: z.string().max(100_000).nullable().optional(),
  selected_date_time: z.number().int().optional(),
  selected_option: z.looseObject({ value: text(200) }).nullable().optional(),
  selected_options: z.array(z.looseObject({ value: text(200) })).max(100).optional(),
});

const viewSubmission = z.looseObject({
  type: z.literal('view_submission'),
  user,
  view: z.looseObject({
    callback_id: z.enum(KNOWN_CALLBACK_IDS as [string, ...string[]]),
    private_metadata: text(3000).default(''),
    state: z.looseObject({ values: z.record(z.string().max(255), z.record(z.string().max(255), stateValue)) }),
  }),
});

const eventCallback = z.looseObject({
  type: z.literal('event_callback'),
  event: z.looseObject({ type: z.string().min(1).max(100) }),
});

/** One line saying what is wrong, or null when the request has a shape changeguard handles. */
export function slackPayloadProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the request is not a Slack payload object';
  const fields = body as Record<string, unknown>;
  let schema: z.ZodType;
  if (typeof fields.command === 'string' || ('command' in fields && !('type' in fields))) schema = slashCommand;
  else if (fields.type === 'block_actions') schema = blockActions;
  else if (fields.type === 'view_submission') schema = viewSubmission;
  else if (fields.type === 'event_callback') schema = eventCallback;
  else if (fields.type === undefined) return 'the payload has no "type" and no "command"';
  else return `payload type ${JSON.stringify(String(fields.type).slice(0, 40))} is not one changeguard handles`;
  const parsed = schema.safeParse(body, { reportInput: true });
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  const where = formatPath(issue.path);
  return `${where === '' ? 'the payload' : where}: ${describeIssue(issue)}`;
}

/** Thrown before Bolt routes a request: the HTTP receiver answers 400 with the message. */
export class MalformedSlackRequest extends Error {
  constructor(readonly problem: string) {
    super(`malformed Slack request: ${problem}`);
    this.name = 'MalformedSlackRequest';
  }
}
