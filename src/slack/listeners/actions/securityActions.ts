import { lockButtonValueSchema, sessionButtonValueSchema } from '../../../notify/interactiveActions.js';
import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import { requireRole } from '../../../services/policy/requireRole.js';
import { lockUser, terminateSession } from '../../../services/sessions/sessionControl.js';
import type { SlackContext } from '../../slackContext.js';
import { handleButtonClick, type ButtonArgs } from './buttonClick.js';

/** Terminate session, on a security alert: security role only; the proxy serving it cuts it. */
export function terminateSessionClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, sessionButtonValueSchema, 'terminating the session', async (value, who) => {
    await requireRole(context.deps, who.actor, ['security'], { eventType: 'TERMINATE', class: 'SESSION', object: value.sessionId });
    const session = await terminateSession(context.deps, value.sessionId, who.actor, `terminated from Slack by ${who.user.id}`);
    return `Session ${escapeMrkdwn(session.id)} of ${escapeMrkdwn(session.user)} on ${escapeMrkdwn(session.device)} is terminated.`;
  });
}

/** Lock user, on a security alert: security role only; announced in the security channel. */
export function lockUserClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, lockButtonValueSchema, 'locking the user', async (value, who) => {
    await requireRole(context.deps, who.actor, ['security'], { eventType: 'LOCK', class: 'USER', object: value.user });
    const reason = `locked from Slack by ${who.user.id}`;
    if (!(await lockUser(context.deps, value.user, who.actor, reason))) return `${escapeMrkdwn(value.user)} was locked already.`;
    await context.notifier.notify({
      type: 'session.account_locked',
      audience: [{ role: 'security' }],
      data: { actor: who.user.id, reason, details: { user: value.user } },
    });
    return `${escapeMrkdwn(value.user)} is locked out of the proxy; live sessions are being cut.`;
  });
}
