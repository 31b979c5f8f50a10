import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { unsafeTextProblem } from '../../domain/validation/unsafeText.js';
import type { Change } from '../../domain/change/change.js';
import { normaliseChangeCode } from '../../domain/change/changeCode.js';
import type { PolicyDevice, PolicyGroup, PolicyUser } from '../../domain/policy/policy.js';
import { sessionRefusal } from '../../domain/session/sessionAdmission.js';
import type { Session } from '../../domain/session/session.js';
import { SECURITY } from '../../domain/notifications/audiences.js';
import { summariseChange } from '../../domain/notifications/catalogue.js';
import type { Actor } from '../actor.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import { startChange } from '../changes/changeWindow.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { sessionData, type SessionAlerts } from './sessionAlerts.js';

export interface SessionRequest {
  readonly user: string;
  readonly changeCode: string;
  readonly device: string;
  readonly clientAddress: string;
}

/** What an authorised session may use: the change, its group and the device to reach. */
export interface SessionGrant {
  readonly user: PolicyUser;
  readonly change: Change;
  readonly group: PolicyGroup | undefined;
  readonly device: PolicyDevice;
}

export interface SessionTarget {
  readonly change: Change;
  readonly device: string;
}

/** Justifications are shown in alerts and reports: one line of plain text. */
export const justificationSchema = z
  .string()
  .transform((text) => text.trim())
  .pipe(
    z
      .string()
      .min(3, 'a justification of at least 3 characters is required')
      .max(500, 'the justification is longer than 500 characters')
      .superRefine((text, ctx) => {
        const problem = unsafeTextProblem(text);
        if (problem) ctx.addIssue({ code: 'custom', message: `the justification ${problem}` });
      }),
  );

/** The changes and servers `user` may open a session on right now, soonest-ending first. */
export async function listSessionTargets(deps: ServiceDeps, userId: string, onlyChange?: string): Promise<SessionTarget[]> {
  const now = deps.clock();
  const user = await deps.policies.user(userId);
  if (!user) return [];
  const changes = onlyChange
    ? [await deps.store.changes.findByCode(normaliseChangeCode(onlyChange))].filter((c): c is Change => c !== null)
    : await deps.store.changes.list({ statuses: ['approved', 'in_progress'], windowFrom: now, windowTo: new Date(now.getTime() + 1) });
  const targets: SessionTarget[] = [];
  for (const change of changes) {
    const group = await deps.policies.group(change.group);
    for (const device of change.devices) {
      if (sessionRefusal(change, group, user, device, now) === null) targets.push({ change, device });
    }
  }
  return targets.sort((a, b) => a.change.windowEnd.getTime() - b.change.windowEnd.getTime() || a.change.code.localeCompare(b.change.code));
}

/**
 * Checks that the session may open now; refusals are audited and thrown as a ServiceError
 * whose message is the one line shown to the user.
 */
export async function authoriseSession(deps: ServiceDeps, request: SessionRequest): Promise<SessionGrant> {
  const code = normaliseChangeCode(request.changeCode);
  const refuse = async (kind: 'forbidden' | 'not_found', message: string): Promise<never> => {
    await deps.audit.record(actorOf(request), {
      status: 'D',
      eventType: 'OPEN',
      class: 'SESSION',
      object: request.device,
      change: code,
      details: 'session refused',
      reason: message,
    });
    throw new ServiceError(kind, message);
  };
  const user = await deps.policies.user(request.user);
  if (!user) return refuse('forbidden', `no user ${request.user}`);
  const lock = await deps.store.accounts.findLock(user.id);
  if (lock) return refuse('forbidden', `your account is locked: ${lock.reason}`);
  const change = await deps.store.changes.findByCode(code);
  if (!change) return refuse('not_found', `no change ${code}`);
  const group = await deps.policies.group(change.group);
  const refusal = sessionRefusal(change, group, user, request.device, deps.clock());
  if (refusal) return refuse('forbidden', refusal);
  const snapshot = await deps.policies.current();
  const device = snapshot.policy.devices.find((d) => d.id === request.device);
  if (!device) return refuse('not_found', `${request.device} is not a known server`);
  return { user, change, group, device };
}

export interface OpenSessionRequest extends SessionRequest {
  readonly kind: 'shell' | 'exec';
  readonly justification: string;
  /** The process serving it: a restarted process closes what it left open. */
  readonly owner: string;
  readonly id?: string | undefined;
  readonly recording?: string | undefined;
}

/**
 * Opens the session record once the upstream connection is up: re-checks the grant (time
 * passed while the user typed a justification), then stores the session with its OPEN record
 * and the security channel's alert (one write), and moves an approved change to in progress
 * (the change's own write).
 */
export async function openSession(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  request: OpenSessionRequest,
): Promise<{ session: Session; grant: SessionGrant }> {
  let justification = '';
  if (request.kind === 'shell' || request.justification !== '') {
    const parsed = justificationSchema.safeParse(request.justification);
    if (!parsed.success) throw new ServiceError('invalid', parsed.error.issues[0]?.message ?? 'invalid justification', { justification: parsed.error.issues[0]?.message ?? '' });
    justification = parsed.data;
  }
  const grant = await authoriseSession(deps, request);
  const session: Session = {
    id: request.id ?? randomUUID(),
    changeCode: grant.change.code,
    user: grant.user.id,
    device: grant.device.id,
    kind: request.kind,
    justification,
    clientAddress: request.clientAddress,
    startedAt: deps.clock(),
    state: 'active',
    recording: request.recording,
    owner: request.owner,
  };
  const commit = await new CommitBuilder(deps, actorOf(request))
    .audit({
      status: 'S',
      eventType: 'OPEN',
      class: 'SESSION',
      object: session.id,
      change: session.changeCode,
      details: `${session.kind} session on ${session.device}`,
      reason: justification === '' ? undefined : justification,
    })
    .notify({
      type: 'session.started',
      audience: [SECURITY],
      data: { change: summariseChange(grant.change), session: sessionData(session) },
      dedupeKey: `session.started:${session.id}`,
    })
    .build();
  await deps.store.sessions.create(session, commit);
  committed(deps, commit);
  const change = await startChange(deps, grant.change.code, actorOf(request));
  return { session, grant: { ...grant, change } };
}

/** The upstream could not be reached or was not who it should be: audited, and alerted on a host key mismatch. */
export async function recordUpstreamFailure(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  request: SessionRequest,
  grant: SessionGrant,
  failure: { message: string; hostKey?: { expected: string; presented: string } | undefined },
): Promise<void> {
  await deps.audit.record(actorOf(request), {
    status: 'F',
    eventType: 'OPEN',
    class: 'SESSION',
    object: request.device,
    change: grant.change.code,
    details: failure.hostKey ? 'upstream host key mismatch' : 'upstream connection failed',
    reason: failure.message,
  });
  if (failure.hostKey) alerts.hostKeyMismatch(grant.change, request, failure.hostKey);
}

export function actorOf(request: { user: string; clientAddress: string }): Actor {
  return { userId: request.user, terminal: `proxy ${request.clientAddress}` };
}
