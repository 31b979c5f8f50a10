import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../domain/clock.js';
import type { Policy } from '../../domain/policy/policy.js';
import { audienceKey } from '../../domain/notifications/audienceKey.js';
import { NOTIFICATION_TYPES, REPEATED_THREAD_REPLIES, type Audience, type Notification } from '../../domain/notifications/catalogue.js';
import type { OutboxMessage, OutboxPlacement } from '../../store/outboxRepository.js';
import type { Store } from '../../store/store.js';
import type { PolicyService } from '../policy/policyService.js';
import { SLACK_NOT_CONFIGURED, type OutboxSettings } from './notificationText.js';

const notificationSchema = z.object({
  type: z.enum(NOTIFICATION_TYPES),
  audience: z.array(
    z.union([
      z.object({ role: z.enum(['approvals', 'security', 'audit']) }),
      z.object({ user: z.string().min(1) }),
      z.object({ slackChannel: z.string().regex(/^[CGDU][A-Z0-9]+$/, 'must be a Slack conversation id') }),
      z.object({ requestCopies: z.string().min(1) }),
    ]),
  ),
  data: z.record(z.string(), z.unknown()),
  dedupeKey: z.string().min(1).max(500).optional(),
});

export interface PlannerDeps {
  readonly store: Pick<Store, 'slackMessages'>;
  readonly policies: PolicyService;
  readonly clock: Clock;
  readonly outbox: OutboxSettings;
}

/** Refuses a notification no template could render (a bug, not bad input). */
export function checkNotification(notification: Notification): void {
  const checked = notificationSchema.safeParse(notification);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new TypeError(`invalid notification: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
}

/**
 * The outbox rows a notification becomes, one per destination: a role's channel and a
 * user's DM resolved from the policy as it is now; each posted copy of a change request an
 * edit in place (re-rendered from the change as stored when delivered) and, for a step with
 * its own wording, a reply in its thread. Keys make the same notification planned twice store
 * nothing twice.
 */
export async function planOutbox(
  deps: PlannerDeps,
  notification: Notification,
  audiences: readonly Audience[] = notification.audience,
  /** The policy to resolve channels and users from, when not the stored one (an import's own). */
  policy?: Policy,
): Promise<OutboxMessage[]> {
  checkNotification(notification);
  const rows: OutboxMessage[] = [];
  for (const audience of audiences) {
    if ('requestCopies' in audience) {
      rows.push(...(await planCopies(deps, notification, audience.requestCopies)));
      continue;
    }
    const key = audienceKey(audience);
    const destination = await resolve(deps, audience, policy);
    rows.push(await row(deps, notification, key, { kind: 'post' }, notification.dedupeKey === undefined ? undefined : `${notification.dedupeKey}|${key}`, destination));
  }
  return rows;
}

async function planCopies(deps: PlannerDeps, notification: Notification, code: string): Promise<OutboxMessage[]> {
  const version = notification.data.change?.version ?? 0;
  const rows: OutboxMessage[] = [];
  for (const copy of await deps.store.slackMessages.listByChange(code)) {
    const where = `${copy.channel}:${copy.ts}`;
    const known = { channel: copy.channel };
    const summary = notification.data.change;
    rows.push(await row(deps, { ...notification, type: 'access.request_created', data: { change: summary } }, copy.audience, { kind: 'update', ts: copy.ts }, `refresh:${code}:v${version}|${where}`, known));
    if (notification.type !== 'access.request_created') {
      const own = REPEATED_THREAD_REPLIES.has(notification.type) && notification.dedupeKey !== undefined ? `:${notification.dedupeKey}` : '';
      rows.push(await row(deps, notification, copy.audience, { kind: 'post', threadTs: copy.ts }, `reply:${code}:v${version}:${notification.type}${own}|${where}`, known));
    }
  }
  return rows;
}

async function row(
  deps: PlannerDeps,
  notification: Notification,
  audience: string,
  placement: OutboxPlacement,
  dedupeKey: string | undefined,
  destination: { channel?: string; problem?: string },
): Promise<OutboxMessage> {
  const now = deps.clock();
  const heldBack = !deps.outbox.slackEnabled ? SLACK_NOT_CONFIGURED : destination.problem;
  return {
    id: randomUUID(),
    dedupeKey,
    type: notification.type,
    audience,
    channel: destination.channel,
    placement,
    payload: JSON.parse(JSON.stringify(notification.data)) as Record<string, unknown>,
    text: await deps.outbox.text.plainText(notification.type, notification.data, audience),
    status: heldBack ? 'not_sent' : 'pending',
    attempts: 0,
    nextAttemptAt: now,
    lastError: heldBack,
    createdAt: now,
    updatedAt: now,
  };
}

/** Which Slack conversation an audience means, from the policy as it is now. */
async function resolve(deps: PlannerDeps, audience: Audience, given: Policy | undefined): Promise<{ channel?: string; problem?: string }> {
  if ('slackChannel' in audience) return { channel: audience.slackChannel };
  if ('requestCopies' in audience) return { problem: 'copies are resolved one by one' };
  const policy = given ?? (await deps.policies.current()).policy;
  if ('role' in audience) {
    const channel = policy.channels[audience.role];
    return channel ? { channel } : { problem: `the policy names no ${audience.role} channel` };
  }
  const user = policy.users.find((u) => u.id === audience.user);
  if (!user) return { problem: `no user ${audience.user} in the policy` };
  // A user id as the channel posts to the app's direct messages with that user.
  return user.slack ? { channel: user.slack } : { problem: `user ${user.id} has no Slack id in the policy` };
}
