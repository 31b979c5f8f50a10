import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { capabilitiesOf } from '../../domain/access/portalRoles.js';
import { listMyChanges } from '../../services/changes/listChanges.js';
import { mayReadReports } from '../../services/reports/readPeriodReport.js';
import { parseInput } from '../http/parseInput.js';
import { viewerOf } from '../http/portalLocals.js';
import { signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import type { PortalContext } from '../portalContext.js';

const noQuery = z.strictObject({});

/**
 * `/`: where sign-in lands. What it shows follows the user's place in the policy: a requester
 * sees their open changes and "New change", an approver what waits for them, auditors,
 * security and admins the pages of their role. The same lists as `/change list` in Slack.
 */
export function register(router: Router, ctx: PortalContext): void {
  router.get('/', async function showHome(req: Request, res: Response) {
    parseInput(noQuery, req.query, 'query');
    if (!viewerOf(res)) return res.redirect(303, '/signin');
    const { user } = signedIn(res);
    const { policy } = await ctx.deps.policies.current();
    const can = capabilitiesOf(user);
    const memberOf = policy.groups.filter((g) => g.members.includes(user.id));
    const approverOf = policy.groups.filter((g) => g.approvers.includes(user.id));
    const mine = await listMyChanges(ctx.deps, user.id);
    const roleLinks = [
      ...(mayReadReports(user)
        ? [{ href: '/reports', label: 'Period report', hint: 'changes, refusals, high-risk sessions and the audit chain over a date range; print or export it' }]
        : []),
      ...(can.has('viewAuditTrail') ? [{ href: '/audit', label: 'Audit trail', hint: 'every privileged action, filtered, verified and exported' }] : []),
      ...(can.has('terminateSessions') ? [{ href: '/sessions', label: 'Live sessions', hint: 'who is on which server now; terminate a session' }] : []),
      ...(can.has('lockUsers') ? [{ href: '/locks', label: 'Locks', hint: 'lock and unlock users' }] : []),
      ...(can.has('viewPolicy') ? [{ href: '/policy', label: 'Policy', hint: 'users, groups, servers, rules and settings as loaded' }] : []),
      ...(can.has('viewOutbox') ? [{ href: '/outbox', label: 'Outbox', hint: ctx.slackConfigured ? 'notifications and their delivery to Slack' : 'notifications (Slack is not configured: this is where they are read)' }] : []),
    ];
    await renderPage(ctx, req, res, 'home', {
      title: 'Home',
      requester: {
        show: memberOf.length > 0 || mine.open.length > 0,
        canFile: memberOf.some((g) => g.devices.length > 0),
        groups: memberOf.map((g) => g.id),
        open: mine.open,
      },
      approver: { show: approverOf.length > 0, groups: approverOf.map((g) => g.id), waiting: mine.awaitingMyApproval },
      roleLinks,
      // Someone in no group and without a role page: say so rather than show an empty page.
      nothing: memberOf.length === 0 && approverOf.length === 0 && mine.open.length === 0 && roleLinks.length === 0,
    });
  });
}
