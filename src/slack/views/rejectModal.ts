import type { types } from '@slack/bolt';
import { z } from 'zod';

export const REJECT_CALLBACK_ID = 'reject_change';
export const REJECT_REASON_BLOCK = 'reason';

const metadataSchema = z.object({ code: z.string().min(1).max(64) });

/** Reject asks why: a rejection is final and must carry a reason. */
export function rejectModal(code: string, title: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: REJECT_CALLBACK_ID,
    title: { type: 'plain_text', text: 'Reject change' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify({ code }),
    blocks: [
      // plain_text: Slack shows it as typed, so a title cannot format or mention anything here.
      { type: 'section', text: { type: 'plain_text', text: `${code}: ${title}`.slice(0, 3000) } },
      {
        type: 'input',
        block_id: REJECT_REASON_BLOCK,
        label: { type: 'plain_text', text: 'Reason' },
        hint: { type: 'plain_text', text: 'The requester sees it. A rejection is final.' },
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 1000 },
      },
    ],
  };
}

export function readRejectSubmission(
  values: Readonly<Record<string, Readonly<Record<string, { value?: string | null }>>>>,
  privateMetadata: string,
): { code: string; reason: string } | null {
  let metadata: z.infer<typeof metadataSchema>;
  try {
    metadata = metadataSchema.parse(JSON.parse(privateMetadata));
  } catch {
    return null;
  }
  return { code: metadata.code, reason: values[REJECT_REASON_BLOCK]?.value?.value ?? '' };
}
