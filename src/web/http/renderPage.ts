import type { Request, Response } from 'express';
import { capabilitiesOf } from '../../domain/access/portalRoles.js';
import { mayReadReports } from '../../services/reports/readPeriodReport.js';
import type { PortalContext } from '../portalContext.js';
import { viewerOf } from './portalLocals.js';
import { offeredSignIn } from './signInMethods.js';

interface NavItem {
  readonly href: string;
  readonly label: string;
}

function navFor(res: Response): NavItem[] {
  const viewer = viewerOf(res);
  if (!viewer) return [];
  const can = capabilitiesOf(viewer.user);
  return [
    { href: '/approvals', label: 'Approvals' },
    { href: '/changes', label: 'Changes' },
    ...(can.has('viewAllChanges') ? [{ href: '/sessions', label: 'Live sessions' }] : []),
    ...(can.has('lockUsers') ? [{ href: '/locks', label: 'Locks' }] : []),
    { href: '/commands', label: 'Commands' },
    ...(can.has('viewAuditTrail') ? [{ href: '/audit', label: 'Audit trail' }] : []),
    ...(mayReadReports(viewer.user) ? [{ href: '/reports', label: 'Reports' }] : []),
    ...(can.has('viewPolicy') ? [{ href: '/policy', label: 'Policy' }] : []),
    ...(can.has('backtestPolicy') ? [{ href: '/policy/backtest', label: 'Backtest' }] : []),
    ...(can.has('viewOutbox') ? [{ href: '/outbox', label: 'Outbox' }] : []),
  ];
}

/** The item the page is under: the longest address the path starts with (/policy/backtest is Backtest's, not Policy's). */
function currentNav(items: readonly NavItem[], path: string): (NavItem & { current: boolean })[] {
  const under = items.filter((item) => path === item.href || path.startsWith(`${item.href}/`)).sort((a, b) => b.href.length - a.href.length)[0];
  return items.map((item) => ({ ...item, current: item === under }));
}

/**
 * Renders a page inside the layout. `portal` carries what every page shows: the signed-in
 * user, the navigation their roles open, a CSRF token for forms, the local sign-in warning,
 * and the policy's time zone for dates.
 */
export async function renderPage(
  ctx: PortalContext,
  req: Request,
  res: Response,
  page: string,
  model: Record<string, unknown>,
  status = 200,
): Promise<void> {
  const viewer = viewerOf(res);
  const policy = await ctx.deps.policies
    .current()
    .then((snapshot) => snapshot.policy)
    .catch(() => undefined);
  const timezone = policy?.settings.timezone ?? 'UTC';
  const path = req.path;
  const portal = {
    timezone,
    viewer: viewer && { id: viewer.user.id, name: viewer.user.name, roles: viewer.user.roles, method: viewer.method },
    nav: currentNav(navFor(res), path),
    // An error raised before cookies were parsed still gets a page (its forms just will not verify).
    csrfToken: req.cookies ? ctx.csrf.tokenFor(req, res) : '',
    // The banner that anyone here can act as anyone: only while the picker is offered.
    localSignIn: policy && offeredSignIn(ctx, policy).picker ? ctx.signIn.local : undefined,
  };
  const html = ctx.renderer.render(page, { ...model, portal });
  res.status(status).type('html').set('Cache-Control', 'no-store').send(html);
}
