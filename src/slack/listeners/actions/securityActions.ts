import { lockButtonValueSchema, sessionButtonValueSchema } from '../../../notify/interactiveActions.js';
import { requireRole } from '../../../services/policy/requireRole.js';
import { lockUser, terminateSession } from '../../../services/sessions/sessionControl.js';
import { describeFailure } from '../../describeFailure.js';
import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import { actorFromSlack, UNMAPPED_USER_MESSAGE } from '../../slackActor.js';
import type { SlackContext } from '../../slackContext.js';
import { ephemeral, type ButtonArgs } from './reviewActions.js';

function parse<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, text: string | undefined): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(text ?? ''));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Terminate session, on a security alert: security role only; the proxy serving it cuts it. */
export async function terminateSessionClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  await args.ack();
  const value = parse(sessionButtonValueSchema, args.action.value);
  if (!value) {
    await ephemeral(args, 'This button is not one changeguard made; nothing was done.');
    return;
  }
  try {
    const who = await actorFromSlack(context, args.body.user.id);
    if (!who) {
      await ephemeral(args, UNMAPPED_USER_MESSAGE);
      return;
    }
    await requireRole(context.deps, who.actor, ['security'], { eventType: 'TERMINATE', class: 'SESSION', object: value.sessionId });
    const session = await terminateSession(context.deps, value.sessionId, who.actor, `terminated from Slack by ${who.user.id}`);
    await ephemeral(args, `Session ${escapeMrkdwn(session.id)} of ${escapeMrkdwn(session.user)} on ${escapeMrkdwn(session.device)} is terminated.`);
  } catch (error) {
    await ephemeral(args, describeFailure(error, context.logger, 'terminating the session'));
  }
}

/** Lock user, on a security alert: security role only; announced in the security channel. */
export async function lockUserClicked(context: SlackContext, args: ButtonArgs): Promise<void> {
  await args.ack();
  const value = parse(lockButtonValueSchema, args.action.value);
  if (!value) {
    await ephemeral(args, 'This button is not one changeguard made; nothing was done.');
    return;
  }
  try {
    const who = await actorFromSlack(context, args.body.user.id);
    if (!who) {
      await ephemeral(args, UNMAPPED_USER_MESSAGE);
      return;
    }
    await requireRole(context.deps, who.actor, ['security'], { eventType: 'LOCK', class: 'USER', object: value.user });
    const reason = `locked from Slack by ${who.user.id}`;
    const locked = await lockUser(context.deps, value.user, who.actor, reason);
    if (!locked) {
      await ephemeral(args, `${escapeMrkdwn(value.user)} was locked already.`);
      return;
    }
    await context.notifier.notify({
      type: 'session.account_locked',
      audience: [{ role: 'security' }],
      data: { actor: who.user.id, reason, details: { user: value.user } },
    });
    await ephemeral(args, `${escapeMrkdwn(value.user)} is locked out of the proxy; live sessions are being cut.`);
  } catch (error) {
    await ephemeral(args, describeFailure(error, context.logger, 'locking the user'));
  }
}
