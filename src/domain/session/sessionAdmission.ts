import { decideAccess } from '../access/authorisation.js';
import type { Change } from '../change/change.js';
import type { PolicyGroup, PolicyUser } from '../policy/policy.js';

/** Change statuses during which sessions may be open. */
const OPEN_STATUSES: readonly Change['status'][] = ['approved', 'in_progress'];

/**
 * Why `user` may not open a session on `device` under `change` at `now`, in one line; null
 * when they may. The order is the order a user fixes things in: the change's state first.
 */
export function sessionRefusal(change: Change, group: PolicyGroup | undefined, user: PolicyUser, device: string, now: Date): string | null {
  const stateRefusal = changeStateRefusal(change, now);
  if (stateRefusal) return stateRefusal;
  if (now.getTime() < change.windowStart.getTime()) {
    return `${change.code}'s window opens at ${change.windowStart.toISOString()}`;
  }
  // The requester and the executors named on the change: not every member of its group.
  const access = decideAccess('session.open', { kind: 'user', user }, { change, group });
  if (!access.allowed) return access.message;
  if (!change.devices.includes(device)) {
    return `${change.code} does not cover ${device} (it covers ${change.devices.join(', ')})`;
  }
  return null;
}

/**
 * Why a session that is open under `change` must end now; null while it may go on. A revoke,
 * a cancellation or the window's end all cut live sessions.
 */
export function liveSessionRefusal(change: Change, now: Date): string | null {
  return changeStateRefusal(change, now);
}

function changeStateRefusal(change: Change, now: Date): string | null {
  if (!OPEN_STATUSES.includes(change.status)) {
    switch (change.status) {
      case 'pending_approval':
        return `${change.code} is not approved yet`;
      case 'rejected':
        return `${change.code} was rejected${change.rejection ? ` by ${change.rejection.by}: ${change.rejection.reason}` : ''}`;
      case 'revoked':
        return `${change.code} was revoked${change.revocation ? ` by ${change.revocation.by}: ${change.revocation.reason}` : ''}`;
      case 'cancelled':
        return `${change.code} was cancelled`;
      case 'expired':
        return `${change.code} expired`;
      default:
        return `${change.code} is closed (${change.status.replace('_', ' ')})`;
    }
  }
  if (now.getTime() >= change.windowEnd.getTime()) return `${change.code}'s window ended at ${change.windowEnd.toISOString()}`;
  return null;
}
