import type { Policy, PolicyFreeze } from '../policy/policy.js';
import { FREEZE_TIME_PATTERN } from '../policy/policySchema.js';
import { startOfNextDay, wallTimeToDate } from '../time/wallTime.js';

/** A freeze with its instants: [start, end). */
export interface FreezePeriod {
  readonly freeze: PolicyFreeze;
  readonly timezone: string;
  readonly start: Date;
  readonly end: Date;
}

/** What a freeze is checked against: a change as filed or as it would be moved. */
export interface FreezePlan {
  readonly group: string;
  readonly devices: readonly string[];
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

/**
 * The instants a freeze names, in its zone (else `defaultZone`). `from` starts at its time (a
 * day alone: midnight); `to` ends at its time, and a day alone includes the whole day. Null
 * when a time cannot be read (the policy schema refuses such files).
 */
export function freezePeriod(freeze: PolicyFreeze, defaultZone: string): FreezePeriod | null {
  const timezone = freeze.timezone ?? defaultZone;
  const start = instant(freeze.from, timezone, false);
  const end = instant(freeze.to, timezone, true);
  return start && end ? { freeze, timezone, start, end } : null;
}

function instant(text: string, timezone: string, endOfDay: boolean): Date | null {
  const match = FREEZE_TIME_PATTERN.exec(text);
  if (!match) return null;
  const [, day, time] = match as unknown as [string, string, string | undefined];
  if (time !== undefined) return wallTimeToDate(`${day}T${time}`, timezone);
  return endOfDay ? startOfNextDay(day, timezone) : wallTimeToDate(day, timezone);
}

/** Whether a freeze covers a change: one of its servers is listed (or in a listed group), or its group is listed. */
export function freezeCovers(freeze: PolicyFreeze, plan: FreezePlan, groups: Policy['groups']): boolean {
  if (freeze.groups?.includes(plan.group)) return true;
  const frozenDevices = new Set(freeze.devices ?? []);
  for (const id of freeze.groups ?? []) for (const device of groups.find((g) => g.id === id)?.devices ?? []) frozenDevices.add(device);
  return plan.devices.some((device) => frozenDevices.has(device));
}

/** The freezes a change's window overlaps, on its servers or group, earliest first. */
export function freezesOverlapping(policy: Pick<Policy, 'freezes' | 'groups' | 'settings'>, plan: FreezePlan): FreezePeriod[] {
  const found: FreezePeriod[] = [];
  for (const freeze of policy.freezes) {
    const period = freezePeriod(freeze, policy.settings.timezone);
    if (!period) continue;
    const overlaps = period.start.getTime() < plan.windowEnd.getTime() && plan.windowStart.getTime() < period.end.getTime();
    if (overlaps && freezeCovers(freeze, plan, policy.groups)) found.push(period);
  }
  return found.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** `year-end (Year-end trading: 2026-12-20 to 2027-01-03, Europe/Paris)`. */
export function describeFreeze(period: FreezePeriod): string {
  const { freeze } = period;
  return `${freeze.id} (${freeze.reason}: ${freeze.from} to ${freeze.to}, ${period.timezone})`;
}

/**
 * The filing rule for freezes, per form field: a window in a freeze is refused unless the
 * change is flagged an emergency, and an emergency in a freeze needs more eligible approvers
 * (the group's, less the requester) than the group's quorum. Empty when acceptable.
 */
export function freezeProblems(
  periods: readonly FreezePeriod[],
  emergency: boolean,
  approvers: { readonly quorum: number; readonly eligible: number; readonly group: string } | undefined,
): Record<string, string> {
  if (periods.length === 0) return {};
  const names = periods.map(describeFreeze).join('; ');
  if (!emergency) {
    const needed = approvers ? ` (it then needs ${approvers.quorum + 1} approvals instead of ${approvers.quorum})` : '';
    return { windowStart: `falls in the change freeze ${names}: choose a window outside it, or flag the change an emergency${needed}` };
  }
  if (approvers && approvers.eligible < approvers.quorum + 1) {
    return {
      emergency: `an emergency change in a freeze needs ${approvers.quorum + 1} approvals from different approvers, and ${approvers.group} has ${approvers.eligible} who may approve your change`,
    };
  }
  return {};
}
