import type { Change } from '../change/change.js';
import type { PolicyChannels, PolicyGroup } from '../policy/policy.js';
import type { Audience } from './catalogue.js';

/**
 * Who is told what: every audience changeguard uses, decided here and nowhere else. Slack
 * channels named by role come from the policy (`channels:`), a group's own channel from the
 * group; users are told by DM.
 */
export const SECURITY: Audience = { role: 'security' };
export const AUDIT: Audience = { role: 'audit' };
export const APPROVALS: Audience = { role: 'approvals' };

/** The people who will work on a change: its requester and the executors named on it. */
export function workers(change: Change): Audience[] {
  return [change.requester, ...(change.executors ?? [])].map((user) => ({ user }));
}

/** A group's channel, or else the policy's approvals channel (when it has one). */
export function groupChannel(group: PolicyGroup | undefined, channels: PolicyChannels): Audience[] {
  if (group?.channel) return [{ slackChannel: group.channel }];
  return channels.approvals ? [APPROVALS] : [];
}

/**
 * A filed change: its requester and executors, each approver who may review it (by DM), and
 * the group's channel (or the approvals channel).
 */
export function requestAudience(change: Change, group: PolicyGroup | undefined, channels: PolicyChannels): Audience[] {
  const people = new Set([change.requester, ...(change.executors ?? [])]);
  const reviewers = (group?.approvers ?? []).filter((approver) => !people.has(approver));
  return [...workers(change), ...reviewers.map((user) => ({ user })), ...groupChannel(group, channels)];
}

/** Every posted copy of the change's request: edited in place, with a reply in its thread. */
export function requestCopies(change: Change): Audience[] {
  return [{ requestCopies: change.code }];
}

/** The outcome of a request (approved, rejected, revoked, expired) goes to its requester by DM. */
export function requester(change: Change): Audience[] {
  return [{ user: change.requester }];
}

/** The window opened: those who will work, and the group's own channel when it has one. */
export function windowOpenedAudience(change: Change, group: PolicyGroup | undefined): Audience[] {
  return [...workers(change), ...(group?.channel ? [{ slackChannel: group.channel }] : [])];
}

/** Approvers still owing a decision; after enough reminders also the group's (or approvals) channel. */
export function reminderAudience(waitingFor: readonly string[], escalate: boolean, group: PolicyGroup): Audience[] {
  const audience: Audience[] = waitingFor.map((user) => ({ user }));
  if (escalate) audience.push(group.channel ? { slackChannel: group.channel } : APPROVALS);
  return audience;
}

/** A lock or an unlock: the security channel, and the person concerned by DM. */
export function accountAudience(user: string): Audience[] {
  return [SECURITY, { user }];
}

/** Someone became or stopped being an approver: the approvals channel and them. */
export function approverManagementAudience(user: string): Audience[] {
  return [APPROVALS, { user }];
}

/** A scheduled report: its own channel, or the audit channel. */
export function reportAudience(channel: string | undefined): Audience[] {
  return [channel ? { slackChannel: channel } : AUDIT];
}
