import { z } from 'zod';
import { CHANGE_CODE_PATTERN } from '../../domain/change/changeCode.js';
import { unsafeTextProblem } from '../../domain/validation/unsafeText.js';

/** Refuses text that would display differently from what it is (see unsafeText). */
function safeText<T extends z.ZodType<string>>(schema: T, multiline: boolean) {
  return schema.superRefine((text, ctx) => {
    const problem = unsafeTextProblem(text, { multiline });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

export const MAX_SCRIPT_BYTES = 64 * 1024;
export const MAX_SCRIPT_LINES = 2000;

/** What a requester fills in; field names match the Slack modal and the web form. */
/** Why a change is edited or rescheduled: shown to approvers and kept in the audit trail, so readable text only (see unsafeText). */
export const changeReasonSchema = z
  .string()
  .trim()
  .max(500, 'must be at most 500 characters')
  .superRefine((text, ctx) => {
    const problem = unsafeTextProblem(text, { multiline: true });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .default('');

export const changeInputSchema = z.object({
  code: z
    .string()
    .trim()
    .toUpperCase()
    .regex(CHANGE_CODE_PATTERN, 'must look like CHG-42 (letters, a dash, then letters or digits)')
    .optional(),
  title: safeText(z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters'), false),
  description: safeText(z.string().trim().max(4000, 'must be at most 4000 characters'), true).default(''),
  group: z.string().trim().min(1, 'is required'),
  devices: z.array(z.string().trim().min(1)).min(1, 'choose at least one server'),
  /** Group members who will carry the change out with the requester (optional). */
  executors: z.array(z.string().trim().min(1)).max(50, 'name at most 50 people').default([]),
  script: safeText(
    z
      .string()
      .refine((s) => s.trim().length > 0, 'is empty: list the exact commands you will run')
      .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_SCRIPT_BYTES, `is larger than ${MAX_SCRIPT_BYTES / 1024} KiB`)
      .refine((s) => s.split('\n').length <= MAX_SCRIPT_LINES, `has more than ${MAX_SCRIPT_LINES} lines`),
    true,
  ),
  windowStart: z.coerce.date({ message: 'is not a date' }),
  windowEnd: z.coerce.date({ message: 'is not a date' }),
  /** May be filed into a policy freeze; then needs one approval more (see domain/approval/freezeQuorum.ts). */
  emergency: z.boolean().optional(),
});

export type ChangeInput = z.input<typeof changeInputSchema>;
