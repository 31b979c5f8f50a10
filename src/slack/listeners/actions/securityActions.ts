import { lockButtonValueSchema, sessionButtonValueSchema } from '../../../notify/interactiveActions.js';
import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import { lockUser, terminateSession, unlockUser } from '../../../services/sessions/sessionControl.js';
import type { SlackContext } from '../../slackContext.js';
import { handleButtonClick, type ButtonArgs } from './buttonClick.js';

/** Terminate session, on a security alert; the service decides who may (security), the proxy serving it cuts it. */
export function terminateSessionClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, sessionButtonValueSchema, 'terminating the session', async (value, who) => {
    const session = await terminateSession(context.deps, value.sessionId, who.actor, `terminated from Slack by ${who.user.id}`);
    return `Session ${escapeMrkdwn(session.id)} of ${escapeMrkdwn(session.user)} on ${escapeMrkdwn(session.device)} is terminated.`;
  });
}

/** Lock user, on a security alert; the lock announces itself in the security channel. */
export function lockUserClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, lockButtonValueSchema, 'locking the user', async (value, who) => {
    if (!(await lockUser(context.deps, value.user, who.actor, `locked from Slack by ${who.user.id}`))) return `${escapeMrkdwn(value.user)} was locked already.`;
    return `${escapeMrkdwn(value.user)} is locked out of the proxy; live sessions are being cut.`;
  });
}

/** Unlock user, on a lock alert; announced in the security channel. */
export function unlockUserClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  return handleButtonClick(context, args, lockButtonValueSchema, 'unlocking the user', async (value, who) => {
    if (!(await unlockUser(context.deps, value.user, who.actor))) return `${escapeMrkdwn(value.user)} was not locked.`;
    return `${escapeMrkdwn(value.user)} may use the proxy again.`;
  });
}
