import { z } from 'zod';

/**
 * The buttons changeguard puts on its messages: their ids and what their values carry. The
 * templates place them (templates/slack/partials/*.hbs, given these ids by the renderer) and
 * the Slack listeners read them, so an id or a value shape changes in one place.
 */
export const ACTION_IDS = {
  approve: 'change_approve',
  /** A link button (Approve on the web): Slack still reports the click, which needs only an ack. */
  approveOnWeb: 'change_approve_on_web',
  reject: 'change_reject',
  terminateSession: 'session_terminate',
  lockUser: 'user_lock',
  unlockUser: 'user_unlock',
  allowDeviation: 'deviation_allow',
  denyDeviation: 'deviation_deny',
} as const;

/** Approve and Reject carry the change and the script hash shown: an approval is bound to it. */
export const reviewButtonValueSchema = z.object({
  code: z.string().min(1).max(64),
  scriptHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ReviewButtonValue = z.infer<typeof reviewButtonValueSchema>;

export const sessionButtonValueSchema = z.object({ sessionId: z.string().min(1).max(200) });
export const lockButtonValueSchema = z.object({ user: z.string().min(1).max(64) });

/** Allow once / Deny name the deviation request; who may decide is the services' question. */
export const deviationButtonValueSchema = z.object({ deviation: z.string().min(1).max(200) });
