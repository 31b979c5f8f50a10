import { z } from 'zod';

/**
 * The buttons changeguard puts on its messages, and what their values carry. The Slack
 * listeners and the renderer share these, so an id or a value shape changes in one place.
 */
export const ACTION_IDS = {
  approve: 'change_approve',
  /** A link button (Approve on the web): Slack still reports the click, which needs only an ack. */
  approveOnWeb: 'change_approve_on_web',
  reject: 'change_reject',
  terminateSession: 'session_terminate',
  lockUser: 'user_lock',
  unlockUser: 'user_unlock',
} as const;

/** Approve and Reject carry the change and the script hash shown: an approval is bound to it. */
export const reviewButtonValueSchema = z.object({
  code: z.string().min(1).max(64),
  scriptHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ReviewButtonValue = z.infer<typeof reviewButtonValueSchema>;

export const sessionButtonValueSchema = z.object({ sessionId: z.string().min(1).max(200) });
export const lockButtonValueSchema = z.object({ user: z.string().min(1).max(64) });

/**
 * Approve / Reject for a pending change. `webOnly`: the policy wants this change approved on
 * the web page, signed in (settings.requireWebApproval), so Approve is a link there instead.
 */
export function reviewActionsBlock(value: ReviewButtonValue, webOnly?: { readonly url: string }): Record<string, unknown> {
  const encoded = JSON.stringify(value);
  const approve = webOnly
    ? { type: 'button', action_id: ACTION_IDS.approveOnWeb, style: 'primary', text: { type: 'plain_text', text: 'Approve on the web' }, url: webOnly.url }
    : { type: 'button', action_id: ACTION_IDS.approve, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: encoded };
  return {
    type: 'actions',
    block_id: 'change_review',
    elements: [approve, { type: 'button', action_id: ACTION_IDS.reject, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: encoded }],
  };
}

/**
 * Terminate session / Lock user on security alerts, Unlock user / Terminate session on a lock
 * alert; the services decide who may use them (the security role).
 */
export function securityActionsBlock(target: { sessionId?: string | undefined; user?: string | undefined; unlock?: boolean }): Record<string, unknown> | null {
  const elements: Record<string, unknown>[] = [];
  if (target.sessionId) {
    elements.push({
      type: 'button',
      action_id: ACTION_IDS.terminateSession,
      style: 'danger',
      text: { type: 'plain_text', text: 'Terminate session' },
      value: JSON.stringify({ sessionId: target.sessionId }),
      confirm: confirmation('Terminate this session?', 'The user is disconnected at once.', 'Terminate'),
    });
  }
  if (target.user && target.unlock) {
    elements.push({
      type: 'button',
      action_id: ACTION_IDS.unlockUser,
      style: 'primary',
      text: { type: 'plain_text', text: 'Unlock user' },
      value: JSON.stringify({ user: target.user }),
      confirm: confirmation('Unlock this user?', 'They can open proxy sessions again.', 'Unlock'),
    });
  } else if (target.user) {
    elements.push({
      type: 'button',
      action_id: ACTION_IDS.lockUser,
      text: { type: 'plain_text', text: 'Lock user' },
      value: JSON.stringify({ user: target.user }),
      confirm: confirmation('Lock this user?', 'They cannot open proxy sessions until unlocked; live ones are cut.', 'Lock'),
    });
  }
  return elements.length > 0 ? { type: 'actions', block_id: 'security_response', elements } : null;
}

function confirmation(title: string, text: string, confirm: string) {
  return {
    title: { type: 'plain_text', text: title },
    text: { type: 'plain_text', text },
    confirm: { type: 'plain_text', text: confirm },
    deny: { type: 'plain_text', text: 'Cancel' },
  };
}
