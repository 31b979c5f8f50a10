import type { types } from '@slack/bolt';
import { z } from 'zod';
import type { PolicyGroup } from '../../domain/policy/policy.js';
import { MAX_SCRIPT_BYTES } from '../../services/changes/changeInput.js';

export const NEW_CHANGE_CALLBACK_ID = 'new_change';
export const NEW_CHANGE_GROUP_ACTION_ID = 'new_change_group';

/** Block ids, named after the service's input fields so field errors land on the right input. */
export const NEW_CHANGE_BLOCKS = {
  code: 'code',
  title: 'title',
  description: 'description',
  windowStart: 'windowStart',
  windowEnd: 'windowEnd',
  group: 'group',
  script: 'script',
  emergency: 'emergency',
} as const;

/** Slack caps a text input at 3,000 characters; longer scripts are filed on the web. */
const SLACK_TEXT_INPUT_MAX = 3000;

/**
 * The servers input is keyed by group: when the group changes, Slack would otherwise keep
 * servers chosen from the previous group selected.
 */
export function devicesBlockId(group: string): string {
  return `devices:${group}`;
}

/** Likewise the executors input: members of the chosen group only. */
export function executorsBlockId(group: string): string {
  return `executors:${group}`;
}

const metadataSchema = z.object({ devicesBlock: z.string().nullable(), executorsBlock: z.string().nullable().optional() });

export interface NewChangeModalInput {
  readonly suggestedCode: string;
  readonly groups: readonly PolicyGroup[];
  readonly selectedGroup: PolicyGroup;
  /** Who files: the group's other members may be named executors. */
  readonly requester: string;
  readonly start: Date;
  readonly end: Date;
  /** The web form, named in the script's hint for scripts longer than Slack takes. */
  readonly webFormUrl: string;
}

/** `/change new`: code, title, description, window, group, servers of that group, script. */
export function newChangeModal(input: NewChangeModalInput): types.ModalView {
  const groupOption = (g: PolicyGroup) => ({ text: plain(g.id), value: g.id });
  const devicesBlock = input.selectedGroup.devices.length > 0 ? devicesBlockId(input.selectedGroup.id) : null;
  const others = input.selectedGroup.members.filter((m) => m !== input.requester);
  const executorsBlock = others.length > 0 ? executorsBlockId(input.selectedGroup.id) : null;
  const blocks: types.KnownBlock[] = [
    {
      type: 'input',
      block_id: NEW_CHANGE_BLOCKS.code,
      label: plain('Change code'),
      hint: plain('Suggested; change it if you like. It must be unique, e.g. CHG-42.'),
      element: { type: 'plain_text_input', action_id: 'value', initial_value: input.suggestedCode, max_length: 42 },
    },
    {
      type: 'input',
      block_id: NEW_CHANGE_BLOCKS.title,
      label: plain('Title'),
      element: { type: 'plain_text_input', action_id: 'value', max_length: 200, placeholder: plain('Rotate the TLS certificate on web01') },
    },
    {
      type: 'input',
      block_id: NEW_CHANGE_BLOCKS.description,
      optional: true,
      label: plain('Description'),
      element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: SLACK_TEXT_INPUT_MAX },
    },
    {
      type: 'input',
      block_id: NEW_CHANGE_BLOCKS.windowStart,
      label: plain('Window start'),
      element: { type: 'datetimepicker', action_id: 'value', initial_date_time: Math.floor(input.start.getTime() / 1000) },
    },
    {
      type: 'input',
      block_id: NEW_CHANGE_BLOCKS.windowEnd,
      label: plain('Due (window end)'),
      element: { type: 'datetimepicker', action_id: 'value', initial_date_time: Math.floor(input.end.getTime() / 1000) },
    },
    {
      type: 'input',
      block_id: NEW_CHANGE_BLOCKS.group,
      dispatch_action: true,
      label: plain('Access group'),
      element: {
        type: 'static_select',
        action_id: NEW_CHANGE_GROUP_ACTION_ID,
        options: input.groups.slice(0, 100).map(groupOption),
        initial_option: groupOption(input.selectedGroup),
      },
    },
    devicesBlock
      ? {
          type: 'input',
          block_id: devicesBlock,
          label: plain('Target servers'),
          element: {
            type: 'multi_static_select',
            action_id: 'value',
            placeholder: plain('Servers of this group'),
            options: input.selectedGroup.devices.slice(0, 100).map((d) => ({ text: plain(d), value: d })),
          },
        }
      : { type: 'section', text: { type: 'mrkdwn', text: 'This group has no servers: choose another group.' } },
    ...(executorsBlock
      ? [
          {
            type: 'input' as const,
            block_id: executorsBlock,
            optional: true,
            label: plain('Executors'),
            hint: plain('Members of the group who will carry it out with you: with you, only they may open sessions on it, and none of you may approve it.'),
            element: {
              type: 'multi_static_select' as const,
              action_id: 'value',
              placeholder: plain('Nobody else'),
              options: others.slice(0, 100).map((m) => ({ text: plain(m), value: m })),
            },
          },
        ]
      : []),
    {
      type: 'input',
      block_id: NEW_CHANGE_BLOCKS.emergency,
      optional: true,
      label: plain('Emergency'),
      hint: plain('Only for work that cannot wait: an emergency may be filed into a change freeze, and then needs one approval more than usual.'),
      element: { type: 'checkboxes', action_id: 'value', options: [{ text: plain('This change is an emergency'), value: 'yes' }] },
    },
    {
      type: 'input',
      block_id: NEW_CHANGE_BLOCKS.script,
      label: plain('Script'),
      hint: plain(`The exact commands, one per line (# comments allowed). Up to ${SLACK_TEXT_INPUT_MAX} characters here; longer scripts (up to ${MAX_SCRIPT_BYTES / 1024} KiB) at ${input.webFormUrl}`),
      element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: SLACK_TEXT_INPUT_MAX },
    },
  ];
  return {
    type: 'modal',
    callback_id: NEW_CHANGE_CALLBACK_ID,
    title: plain('New change'),
    submit: plain('File change'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify({ devicesBlock, executorsBlock }),
    blocks,
  };
}

type StateValues = Readonly<Record<string, Readonly<Record<string, { value?: string | null; selected_date_time?: number | null; selected_option?: { value: string } | null; selected_options?: readonly { value: string }[] }>>>>;

export interface NewChangeSubmission {
  readonly code: string | undefined;
  readonly title: string;
  readonly description: string;
  readonly windowStart: Date | undefined;
  readonly windowEnd: Date | undefined;
  readonly group: string;
  readonly devices: string[];
  readonly executors: string[];
  readonly script: string;
  readonly emergency: boolean;
  /** The block the servers input has in this modal (null when the group had none). */
  readonly devicesBlock: string | null;
}

/** Reads the modal's state; validation is the service's (registerChange). */
export function readNewChangeSubmission(values: StateValues, privateMetadata: string): NewChangeSubmission {
  const text = (block: string) => values[block]?.value?.value ?? '';
  const dateTime = (block: string) => {
    const seconds = values[block]?.value?.selected_date_time;
    return typeof seconds === 'number' ? new Date(seconds * 1000) : undefined;
  };
  let devicesBlock: string | null = null;
  let executorsBlock: string | null = null;
  try {
    const metadata = metadataSchema.parse(JSON.parse(privateMetadata));
    devicesBlock = metadata.devicesBlock;
    executorsBlock = metadata.executorsBlock ?? null;
  } catch {
    devicesBlock = null;
  }
  const code = text(NEW_CHANGE_BLOCKS.code).trim();
  return {
    code: code === '' ? undefined : code,
    title: text(NEW_CHANGE_BLOCKS.title),
    description: text(NEW_CHANGE_BLOCKS.description),
    windowStart: dateTime(NEW_CHANGE_BLOCKS.windowStart),
    windowEnd: dateTime(NEW_CHANGE_BLOCKS.windowEnd),
    group: values[NEW_CHANGE_BLOCKS.group]?.[NEW_CHANGE_GROUP_ACTION_ID]?.selected_option?.value ?? '',
    devices: devicesBlock ? (values[devicesBlock]?.value?.selected_options ?? []).map((o) => o.value) : [],
    executors: executorsBlock ? (values[executorsBlock]?.value?.selected_options ?? []).map((o) => o.value) : [],
    script: text(NEW_CHANGE_BLOCKS.script),
    emergency: (values[NEW_CHANGE_BLOCKS.emergency]?.value?.selected_options ?? []).some((o) => o.value === 'yes'),
    devicesBlock,
  };
}

/** Service field errors (registerChange's `fields`) as Slack modal errors, on the right inputs. */
export function modalErrors(fields: Readonly<Record<string, string>>, devicesBlock: string | null): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (block: string, message: string) => {
    errors[block] = errors[block] ? `${errors[block]}; ${message}` : message;
  };
  for (const [field, message] of Object.entries(fields)) {
    const sentence = message.charAt(0).toUpperCase() + message.slice(1);
    if (field === 'devices') add(devicesBlock ?? NEW_CHANGE_BLOCKS.group, sentence);
    else if (field in NEW_CHANGE_BLOCKS) add(NEW_CHANGE_BLOCKS[field as keyof typeof NEW_CHANGE_BLOCKS], sentence);
    // A field the modal has no input for still shows, on the title, naming the field.
    else add(NEW_CHANGE_BLOCKS.title, `${field}: ${message}`);
  }
  return errors;
}

function plain(text: string) {
  return { type: 'plain_text' as const, text };
}
