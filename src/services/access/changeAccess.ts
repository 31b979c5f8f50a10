import { changeRightsOf, sessionRightsOf, type ChangeRights, type SessionRights } from '../../domain/access/portalRoles.js';
import type { Change } from '../../domain/change/change.js';
import type { PolicyGroup, PolicyUser } from '../../domain/policy/policy.js';
import type { Session } from '../../domain/session/session.js';
import type { AuditRecord } from '../../domain/audit/auditRecord.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { decideAccess } from '../../domain/access/authorisation.js';
import { checkDeviationDecision, type DeviationRequest } from '../../domain/deviation/deviationRequest.js';
import { computeChangeAudit, type ChangeAuditReport } from '../changes/changeAudit.js';
import { loadChange } from '../changes/changeWriter.js';
import { webApprovalRequirement, type WebApprovalRequirement } from '../changes/webApprovalRequirement.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

export interface ChangeInView {
  readonly change: Change;
  readonly group: PolicyGroup | undefined;
  readonly rights: ChangeRights;
}

/** A change as `user` may see it, with what they may do to it; refused if they may not see it. */
export async function loadChangeFor(deps: ServiceDeps, user: PolicyUser, code: string): Promise<ChangeInView> {
  const change = await loadChange(deps, code);
  const group = await deps.policies.group(change.group);
  const rights = changeRightsOf(user, change, group);
  if (!rights.view) throw new ServiceError('forbidden', `${change.code} belongs to group ${change.group}, which you are not part of`);
  return { change, group, rights };
}

export interface SessionInView extends ChangeInView {
  readonly session: Session;
  readonly sessionRights: SessionRights;
}

export async function loadSessionFor(deps: ServiceDeps, user: PolicyUser, sessionId: string): Promise<SessionInView> {
  const session = await deps.store.sessions.findById(sessionId);
  if (!session) throw new ServiceError('not_found', `no session ${sessionId}`);
  const change = await loadChange(deps, session.changeCode).catch((error: unknown) => {
    if (error instanceof ServiceError && error.kind === 'not_found') {
      throw new ServiceError('not_found', `session ${sessionId} belongs to ${session.changeCode}, which no longer exists`);
    }
    throw error;
  });
  const group = await deps.policies.group(change.group);
  const rights = changeRightsOf(user, change, group);
  if (!rights.view) throw new ServiceError('forbidden', `${user.id} may not see session ${sessionId} of ${change.code}`);
  return { change, group, rights, session, sessionRights: sessionRightsOf(user, session, rights) };
}

export interface ChangeDetail extends ChangeInView {
  /** The change's audit records but the per-command ones (those are on the audit page): who did what, when, why. */
  readonly timeline: readonly AuditRecord[];
  readonly sessions: readonly Session[];
  readonly webApproval: WebApprovalRequirement;
  /** Commands held for an approver's decision (deviation requests), newest first. */
  readonly deviations: readonly DeviationInView[];
}

export interface DeviationInView extends DeviationRequest {
  /** The viewer may allow or deny it now: pending, an approver of the change, not the one who typed it. */
  readonly mayDecide: boolean;
}

export async function loadChangeDetailFor(deps: ServiceDeps, user: PolicyUser, code: string): Promise<ChangeDetail> {
  const inView = await loadChangeFor(deps, user, code);
  const timeline: AuditRecord[] = [];
  for await (const record of deps.store.audit.iterate({ change: inView.change.code })) {
    if (record.class !== 'COMMAND') timeline.push(record);
  }
  const [sessions, webApproval, requests] = await Promise.all([
    deps.store.sessions.listByChange(inView.change.code),
    webApprovalRequirement(deps, inView.change),
    deps.store.deviations.listByChange(inView.change.code),
  ]);
  // The same questions decideDeviation asks: the table's approver rule, then the request's own.
  const approver = decideAccess('change.approve', { kind: 'user', user }, { change: inView.change, group: inView.group }).allowed;
  const now = deps.clock();
  const deviations = requests
    .map((request) => ({ ...request, mayDecide: approver && checkDeviationDecision(request, user.id, 'allow', now).ok }))
    .reverse();
  return { ...inView, timeline, sessions, webApproval, deviations };
}

/** The planned script against what ran, for someone allowed to see the change. */
export async function changeAuditFor(deps: ServiceDeps, user: PolicyUser, code: string): Promise<ChangeAuditReport & { rights: ChangeRights }> {
  const { change, rights } = await loadChangeFor(deps, user, code);
  return { ...(await computeChangeAudit(deps, change.code)), rights };
}

export interface SessionDetail extends SessionInView {
  readonly commands: readonly CommandRecord[];
}

export async function loadSessionDetailFor(deps: ServiceDeps, user: PolicyUser, sessionId: string): Promise<SessionDetail> {
  const inView = await loadSessionFor(deps, user, sessionId);
  return { ...inView, commands: await deps.store.commands.listBySession(inView.session.id) };
}
