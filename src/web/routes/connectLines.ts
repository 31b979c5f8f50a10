import type { Change } from '../../domain/change/change.js';
import { FINAL_STATUSES } from '../../domain/change/changeStatus.js';
import type { PortalContext } from '../portalContext.js';

/**
 * How the requester reaches the change's servers through the SSH proxy: one `ssh` line per
 * server in the proxy's login format `user+CHANGE+server` (README, "SSH proxy"). Shown on the
 * change page until the change is over; the proxy admits them only while it is approved or
 * in progress and inside its window.
 */
export function connectLines(ctx: Pick<PortalContext, 'sshProxy'>, change: Change, viewerId: string) {
  if (!ctx.sshProxy || FINAL_STATUSES.includes(change.status)) return undefined;
  const { host, port } = ctx.sshProxy;
  const portFlag = port === 22 ? '' : `-p ${port} `;
  return {
    forViewer: viewerId === change.requester,
    user: change.requester,
    open: change.status === 'approved' || change.status === 'in_progress',
    lines: change.devices.map((device) => ({ device, command: `ssh ${portFlag}${change.requester}+${change.code}+${device}@${host}` })),
  };
}
