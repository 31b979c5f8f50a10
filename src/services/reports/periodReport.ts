import type { ChangeStatus } from '../../domain/change/changeStatus.js';
import type { ChainVerification } from '../../domain/audit/verifyChain.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { assessSessionRisk } from '../../domain/session/sessionRisk.js';
import type { AccountLock } from '../../store/accountRepository.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

export interface PeriodReport {
  readonly since: Date;
  readonly until: Date;
  readonly generatedAt: Date;
  readonly changes: {
    readonly total: number;
    readonly byStatus: Readonly<Partial<Record<ChangeStatus, number>>>;
    /** Script-audit outcomes of the changes whose window closed. */
    readonly byOutcome: Readonly<Record<string, number>>;
    readonly list: readonly { code: string; title: string; requester: string; status: ChangeStatus; outcome: string | undefined }[];
  };
  readonly commands: {
    readonly total: number;
    readonly blocked: number;
    readonly interrupted: number;
    /** Refusals (block and interrupt) per rule id, most first. */
    readonly refusalsByRule: readonly { rule: string; count: number }[];
    /** Refusals per user, most first. */
    readonly refusalsByUser: readonly { user: string; blocked: number; interrupted: number }[];
  };
  readonly sessions: {
    readonly total: number;
    readonly highRisk: readonly { id: string; change: string; user: string; device: string; reasons: readonly string[] }[];
    readonly endedAbnormally: number;
  };
  readonly lockedUsers: readonly AccountLock[];
  readonly chain: ChainVerification;
}

const MAX_PERIOD_MS = 366 * 24 * 3600 * 1000;

/**
 * The auditor's summary of a period: changes whose window touched it, commands judged in it,
 * high-risk sessions, locked users and whether the audit chain is intact.
 */
export async function buildPeriodReport(deps: ServiceDeps, period: { since: Date; until: Date }): Promise<PeriodReport> {
  const { since, until } = period;
  if (Number.isNaN(since.getTime()) || Number.isNaN(until.getTime()) || until <= since) {
    throw new ServiceError('invalid', 'the report period must end after it starts');
  }
  if (until.getTime() - since.getTime() > MAX_PERIOD_MS) throw new ServiceError('invalid', 'the report period may be at most a year');

  const changes = await deps.store.changes.list({ windowFrom: since, windowTo: until });
  const inPeriod = (at: Date) => at >= since && at < until;
  const commandsByChange = await Promise.all(changes.map((c) => deps.store.commands.listByChange(c.code)));
  const commands = commandsByChange.flat().filter((c) => inPeriod(c.at));
  const sessions = (await Promise.all(changes.map((c) => deps.store.sessions.listByChange(c.code)))).flat().filter((s) => inPeriod(s.startedAt));

  const count = <K extends string>(keys: K[]) =>
    keys.reduce<Partial<Record<K, number>>>((acc, key) => ({ ...acc, [key]: (acc[key] ?? 0) + 1 }), {});

  const refused = commands.filter((c) => c.verdict !== 'allow');
  const ruleCounts = new Map<string, number>();
  for (const command of refused) for (const rule of command.ruleIds) ruleCounts.set(rule, (ruleCounts.get(rule) ?? 0) + 1);
  const userCounts = new Map<string, { blocked: number; interrupted: number }>();
  for (const command of refused) {
    const entry = userCounts.get(command.user) ?? { blocked: 0, interrupted: 0 };
    if (command.verdict === 'interrupt') entry.interrupted++;
    else entry.blocked++;
    userCounts.set(command.user, entry);
  }

  const bySession = new Map<string, CommandRecord[]>();
  for (const command of commands) bySession.set(command.sessionId, [...(bySession.get(command.sessionId) ?? []), command]);
  const highRisk = sessions
    .map((s) => ({ session: s, assessment: assessSessionRisk(bySession.get(s.id) ?? []) }))
    .filter(({ assessment }) => assessment.risk === 'high')
    .map(({ session, assessment }) => ({ id: session.id, change: session.changeCode, user: session.user, device: session.device, reasons: assessment.reasons }));

  return {
    since,
    until,
    generatedAt: deps.clock(),
    changes: {
      total: changes.length,
      byStatus: count(changes.map((c) => c.status)),
      byOutcome: count(changes.flatMap((c) => (c.outcome ? [c.outcome] : []))) as Record<string, number>,
      list: changes.map((c) => ({ code: c.code, title: c.title, requester: c.requester, status: c.status, outcome: c.outcome })),
    },
    commands: {
      total: commands.length,
      blocked: refused.filter((c) => c.verdict === 'block').length,
      interrupted: refused.filter((c) => c.verdict === 'interrupt').length,
      refusalsByRule: [...ruleCounts].map(([rule, n]) => ({ rule, count: n })).sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
      refusalsByUser: [...userCounts]
        .map(([user, n]) => ({ user, ...n }))
        .sort((a, b) => b.blocked + b.interrupted - (a.blocked + a.interrupted) || a.user.localeCompare(b.user)),
    },
    sessions: {
      total: sessions.length,
      highRisk,
      endedAbnormally: sessions.filter((s) => s.state === 'ended_abnormally').length,
    },
    lockedUsers: await deps.store.accounts.listLocks(),
    chain: await deps.audit.verify(),
  };
}
