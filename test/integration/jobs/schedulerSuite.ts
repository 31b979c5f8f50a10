import type { JobParameters } from 'agenda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change } from '../../../src/domain/change/change.js';
import { systemClock } from '../../../src/domain/clock.js';
import type { Session } from '../../../src/domain/session/session.js';
import { agendaBackendFor } from '../../../src/jobs/agendaBackendFor.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { DEFAULT_SCHEDULER_SETTINGS, type SchedulerSettings } from '../../../src/jobs/schedulerSettings.js';
import type { Logger } from '../../../src/logger.js';
import { PeriodReportRenderer } from '../../../src/notify/periodReportRenderer.js';
import { startChange } from '../../../src/services/changes/changeWindow.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { rescheduleChange } from '../../../src/services/changes/rescheduleChange.js';
import { approveChange, cancelChange } from '../../../src/services/changes/reviewChange.js';
import { createReportSchedule, deleteReportSchedule, updateReportSchedule } from '../../../src/services/reports/reportSchedules.js';
import { judgeCommand } from '../../../src/services/sessions/judgeCommand.js';
import { createServiceDeps, type ServiceDeps } from '../../../src/services/serviceDeps.js';
import type { Store } from '../../../src/store/store.js';
import { buildGroup, buildPolicy, buildUser } from '../../support/factories.js';
import { RecordingNotifier } from '../../support/recordingNotifier.js';
import { recordingLogger } from '../../support/recordingLogger.js';
import { sharedParser } from '../../support/sharedParser.js';
import { storedNotifications } from '../../support/storedNotifications.js';
import { waitFor } from '../../support/waitFor.js';

/** The windows' summaries to the audit channel: the close writes them with the change's status. */
async function auditSummaries(store: Store) {
  return (await storedNotifications(store, { types: ['window.closed'] })).filter((n) => n.audience.some((a) => 'role' in a && a.role === 'audit'));
}

/** A database the suite can open several connections to, as several processes would. */
export interface SchedulerDatabase {
  readonly connect: () => Promise<Store>;
  readonly cleanup: () => Promise<void>;
}

const alice = { userId: 'alice', terminal: 'slack' };
const bob = { userId: 'bob', terminal: 'slack' };
const erin = { userId: 'erin', terminal: 'slack' };
const SCRIPT = 'systemctl restart nginx\ntail -n 50 /var/log/nginx/error.log';
const policy = buildPolicy({
  users: [buildUser({ id: 'alice' }), buildUser({ id: 'bob', roles: ['approver'] }), buildUser({ id: 'carol', roles: ['approver'] }), buildUser({ id: 'erin', roles: ['auditor'] })],
  groups: [buildGroup({ channel: 'C01WEBOPS' })],
});

/** Real time, small intervals: Agenda reads the system clock, so the steps do too here. */
const FAST: SchedulerSettings = {
  ...DEFAULT_SCHEDULER_SETTINGS,
  expiringLeadMs: 500,
  reminderEveryMs: 150,
  escalateAfter: 1,
  processEveryMs: 50,
  lockLifetimeMs: 10_000,
  retry: { firstDelayMs: 50, maxRetries: 2 },
  shutdownGraceMs: 10_000,
};

/**
 * The scheduler on real Agenda, against one backend: every step runs at its time, moves
 * with its change, survives a restart, runs once with two instances, and failures are
 * retried and logged.
 */
/**
 * What a slower backend needs: a longer poll interval (FerretDB answers every one of Agenda's
 * polls by scanning the collection), and windows far enough ahead and long enough for five
 * filings and approvals at once, and then their steps, to fit in them on a busy machine.
 */
export interface BackendPace {
  readonly processEveryMs?: number;
  readonly twoProcessWindow?: { readonly startMs: number; readonly endMs: number };
}

export function defineSchedulerSuite(name: string, open: () => Promise<SchedulerDatabase>, pace: BackendPace = {}): void {
  describe(`scheduler on Agenda: ${name}`, () => {
    let database: SchedulerDatabase;
    const stores: Store[] = [];
    const schedulers: Scheduler[] = [];

    beforeEach(async () => {
      database = await open();
    });
    afterEach(async () => {
      for (const scheduler of schedulers.splice(0)) await scheduler.stop();
      for (const store of stores.splice(0)) await store.close();
      await database.cleanup();
    });

    /** A "process": its own connection, services, event bus and (not yet started) scheduler. */
    async function process(options: { notifier?: RecordingNotifier; logger?: Logger; settings?: Partial<SchedulerSettings> } = {}) {
      const store = await database.connect();
      stores.push(store);
      await store.policy.apply({ replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules }, channels: policy.channels, settings: policy.settings });
      const deps = createServiceDeps({ store, clock: systemClock, parser: await sharedParser(), policyMaxAgeMs: 0 });
      const notifier = options.notifier ?? new RecordingNotifier();
      const backend = await agendaBackendFor(store);
      await backend.connect();
      const scheduler = new Scheduler({
        deps,
        notifier,
        backend,
        formatter: PeriodReportRenderer.load(),
        logger: options.logger ?? recordingLogger().logger,
        settings: { ...FAST, ...(pace.processEveryMs ? { processEveryMs: pace.processEveryMs } : {}), instanceName: `test-${schedulers.length}`, ...options.settings },
      });
      schedulers.push(scheduler);
      return { store, deps, notifier, scheduler };
    }

    function file(deps: ServiceDeps, startInMs: number, endInMs: number): Promise<Change> {
      const now = Date.now();
      return registerChange(
        deps,
        { title: 'Restart nginx', group: 'web-ops', devices: ['web01'], script: SCRIPT, windowStart: new Date(now + startInMs), windowEnd: new Date(now + endInMs) },
        alice,
      );
    }

    async function approved(deps: ServiceDeps, startInMs: number, endInMs: number): Promise<Change> {
      const change = await file(deps, startInMs, endInMs);
      return (await approveChange(deps, change.code, bob)).change;
    }

    async function jobsOf(scheduler: Scheduler, code: string): Promise<JobParameters[]> {
      const { jobs } = await scheduler.agenda.queryJobs({ data: { code }, sort: { name: 'asc' } });
      return jobs;
    }

    it('runs each step of an approved change at its time: open, expiring warning, close', async () => {
      const { deps, store, notifier, scheduler } = await process();
      await scheduler.start();
      const change = await approved(deps, 500, 1800);
      await waitFor('the window to open', () => notifier.ofType('window.opened').length === 1);

      const session: Session = { id: `s-${change.code}`, changeCode: change.code, user: 'alice', device: 'web01', kind: 'shell', justification: 'planned', clientAddress: '127.0.0.1', startedAt: new Date(), state: 'active' };
      await store.sessions.create(session);
      await startChange(deps, change.code, alice);
      for (const line of SCRIPT.split('\n')) await judgeCommand(deps, { session, group: 'web-ops', interruptAttempts: new Map() }, line, 'shell');

      const [warning] = await waitFor('the expiring warning', () => notifier.ofType('window.expiring').length === 1 && notifier.ofType('window.expiring'));
      expect(warning).toMatchObject({ audience: [{ user: 'alice' }], data: { details: { activeSessions: 1 } } });
      // The close writes its summary with the change's new status: it is read from the outbox.
      const [closed] = await waitFor('the window to close', async () => {
        const summaries = await auditSummaries(store);
        return summaries.length === 1 && summaries;
      });
      expect(closed).toMatchObject({ audience: [{ role: 'audit' }], data: { details: { status: 'completed', outcome: 'completed', terminatedSessions: 1 } } });
      expect(await store.changes.findByCode(change.code)).toMatchObject({ status: 'completed' });
      expect((await store.sessions.findById(session.id))?.state).toBe('terminated');
      expect(notifier.ofType('window.opened')[0]).toMatchObject({ audience: [{ user: 'alice' }, { slackChannel: 'C01WEBOPS' }] });
      // Only the closer's own record is left: the finished steps went with the change.
      await waitFor('the finished steps to be cleared', async () => (await jobsOf(scheduler, change.code)).map((j) => j.name).join() === 'window-close');
    });

    it('reminds approvers of a pending request until it expires at the window start, then stops', async () => {
      const { deps, store, notifier, scheduler } = await process();
      await scheduler.start();
      const change = await file(deps, 900, 3000);
      await waitFor('the request to expire', async () => (await store.changes.findByCode(change.code))?.status === 'expired');
      const reminders = (await storedNotifications(store, { types: ['access.approval_reminder'] })).map((n) => n.data.details as { reminder: number; escalated: boolean });
      expect(reminders.length).toBeGreaterThan(0);
      expect(reminders.map((r) => r.reminder)).toEqual([...new Set(reminders.map((r) => r.reminder))].sort((a, b) => a - b));
      expect(reminders.every((r) => r.escalated === r.reminder > 1)).toBe(true);
      await waitFor('the reminder job to be removed', async () => !(await jobsOf(scheduler, change.code)).some((j) => j.name === 'approval-reminder'));
    });

    it('moves a change\'s jobs with its window, never leaving a stale one', async () => {
      const { deps, scheduler } = await process();
      await scheduler.start();
      const hour = 3_600_000;
      const change = await file(deps, hour, 2 * hour);
      const plan = async () => Object.fromEntries((await jobsOf(scheduler, change.code)).map((j) => [j.name, j]));

      expect(Object.keys(await plan())).toEqual(['approval-expire', 'approval-reminder']);
      const moved = await rescheduleChange(deps, change.code, alice, { windowStart: new Date(Date.now() + 3 * hour), windowEnd: new Date(Date.now() + 4 * hour) });
      let jobs = await plan();
      expect(Object.keys(jobs)).toEqual(['approval-expire', 'approval-reminder']);
      expect(jobs['approval-expire']?.nextRunAt).toEqual(moved.windowStart);
      expect(jobs['approval-reminder']?.endDate).toEqual(moved.windowStart);

      await approveChange(deps, change.code, bob);
      jobs = await plan();
      expect(Object.keys(jobs)).toEqual(['window-close', 'window-expiring', 'window-open']);
      expect(jobs['window-open']?.nextRunAt).toEqual(moved.windowStart);
      expect(jobs['window-close']?.nextRunAt).toEqual(moved.windowEnd);

      // An approved change moved again waits for approval again: its window jobs go.
      const again = await rescheduleChange(deps, change.code, alice, { windowStart: new Date(Date.now() + 5 * hour), windowEnd: new Date(Date.now() + 6 * hour) });
      jobs = await plan();
      expect(Object.keys(jobs)).toEqual(['approval-expire', 'approval-reminder']);
      expect(jobs['approval-expire']?.nextRunAt).toEqual(again.windowStart);
    });

    it('removes every job of a cancelled change', async () => {
      const { deps, scheduler } = await process();
      await scheduler.start();
      const change = await approved(deps, 3_600_000, 7_200_000);
      expect(await jobsOf(scheduler, change.code)).toHaveLength(3);
      await cancelChange(deps, change.code, alice, 'not needed');
      expect(await jobsOf(scheduler, change.code)).toEqual([]);
    });

    it('runs each job once with two instances on one database', async () => {
      const shared = new RecordingNotifier();
      const a = await process({ notifier: shared });
      const b = await process({ notifier: shared });
      const runs: string[] = [];
      for (const { scheduler } of [a, b]) {
        scheduler.agenda.define('probe', async (job) => {
          runs.push(String(job.attrs._id));
        });
      }
      await a.scheduler.start();
      await b.scheduler.start();
      const probes = await Promise.all(Array.from({ length: 30 }, (_, n) => a.scheduler.agenda.now('probe', { n })));
      const { startMs, endMs } = pace.twoProcessWindow ?? { startMs: 1500, endMs: 4000 };
      // One after another: each change's window is counted from its own filing, so a slow
      // store under load delays the next filing rather than pushing an approval past its window.
      const changes: Change[] = [];
      for (let n = 0; n < 5; n++) changes.push(await approved(a.deps, startMs, endMs));
      await waitFor('every probe to run', () => runs.length >= probes.length);
      await waitFor('every window to close', async () => (await auditSummaries(a.store)).length >= changes.length);
      await a.scheduler.stop();
      await b.scheduler.stop();
      expect(runs.sort()).toEqual(probes.map((p) => String(p.attrs._id)).sort());
      expect((await auditSummaries(a.store)).map((n) => n.data.change?.code).sort()).toEqual(changes.map((c) => c.code).sort());
      expect(shared.ofType('window.opened')).toHaveLength(changes.length);
    });

    it('retries a failed step with backoff and logs the failure', async () => {
      const log = recordingLogger();
      const { deps, notifier, scheduler } = await process({ logger: log.logger });
      await scheduler.start();
      notifier.failNext(1);
      const change = await approved(deps, 100, 60_000);
      await waitFor('the window to open on the retry', () => notifier.ofType('window.opened').length === 1);
      expect(log.messages('scheduled job failed')).toMatchObject([{ level: 40, job: 'window-open', failCount: 1, err: { message: 'Slack is unreachable' } }]);
      expect(log.messages('scheduled job will be retried')).toMatchObject([{ job: 'window-open', attempt: 1 }]);
      const job = await waitFor('the job to finish', async () => (await jobsOf(scheduler, change.code)).find((j) => j.name === 'window-open' && j.lastFinishedAt && !j.lockedAt));
      expect(job).toMatchObject({ failReason: 'Slack is unreachable', nextRunAt: null });
      expect(job.lastFinishedAt!.getTime()).toBeGreaterThan(job.failedAt!.getTime());
    });

    it('gives up after the last retry, logging it and keeping the reason', async () => {
      const log = recordingLogger();
      const { deps, notifier, scheduler } = await process({ logger: log.logger });
      await scheduler.start();
      notifier.failNext(Number.POSITIVE_INFINITY, 'channel_not_found');
      const change = await approved(deps, 100, 60_000);
      await waitFor('the retries to run out', () => log.messages('scheduled job failed for good').length === 1);
      expect(log.messages('scheduled job failed')).toHaveLength(3);
      const job = await waitFor('the failure to be saved', async () => (await jobsOf(scheduler, change.code)).find((j) => j.name === 'window-open' && j.failCount === 3 && !j.lockedAt));
      expect(job).toMatchObject({ failReason: 'channel_not_found', nextRunAt: null });
    });

    it('runs a job scheduled before a restart after it, even when it fell due while down', async () => {
      const first = await process();
      await first.scheduler.start();
      const change = await approved(first.deps, 1500, 60_000);
      await first.scheduler.stop();
      await first.store.close();
      stores.splice(stores.indexOf(first.store), 1);
      await waitFor('the window start to pass while stopped', () => Date.now() > change.windowStart.getTime());

      const second = await process();
      await second.scheduler.start();
      await waitFor('the window to open after the restart', () => second.notifier.ofType('window.opened').length === 1);
      expect(first.notifier.sent).toEqual([]);
    });

    it('schedules what an event missed when it starts, without duplicating jobs', async () => {
      const before = await process();
      // Filed while no scheduler listened (as if the process died right after the write).
      const change = await approved(before.deps, 3_600_000, 7_200_000);
      await createReportSchedule(before.deps, { id: 'ops', period: 'daily', cron: '0 8 * * *' }, erin);
      expect((await before.scheduler.agenda.queryJobs({})).total).toBe(0);
      await before.scheduler.start();
      const names = async () => (await before.scheduler.agenda.queryJobs({ sort: { name: 'asc' } })).jobs.map((j) => j.name);
      // audit-anchor: the one deployment-wide job, posting the chain's head.
      expect(await names()).toEqual(['audit-anchor', 'report-daily', 'window-close', 'window-expiring', 'window-open']);
      const openAt = (await jobsOf(before.scheduler, change.code)).find((j) => j.name === 'window-open')?.nextRunAt;
      expect(openAt).toEqual(change.windowStart);
      await before.scheduler.reconcile();
      expect(await names()).toEqual(['audit-anchor', 'report-daily', 'window-close', 'window-expiring', 'window-open']);
    });

    it('keeps one repeating job per report schedule, on its cron and time zone', async () => {
      const { deps, notifier, scheduler } = await process();
      await scheduler.start();
      await createReportSchedule(deps, { id: 'ops', period: 'daily', cron: '30 7 * * 1-5', timezone: 'Europe/Paris' }, erin);
      const reportJobs = async () => (await scheduler.agenda.queryJobs({ data: { scheduleId: 'ops' } })).jobs;
      const [job] = await reportJobs();
      expect(job).toMatchObject({ name: 'report-daily', repeatInterval: '30 7 * * 1-5', repeatTimezone: 'Europe/Paris' });
      expect(job?.nextRunAt?.getTime()).toBeGreaterThan(Date.now());
      expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(job!.nextRunAt!)).toBe('07:30');

      await updateReportSchedule(deps, 'ops', { period: 'weekly', cron: '0 9 * * 1' }, erin);
      expect((await reportJobs()).map((j) => [j.name, j.repeatInterval])).toEqual([['report-weekly', '0 9 * * 1']]);

      // Brought forward rather than duplicated: one job per schedule is a unique index on MongoDB.
      const [weekly] = await reportJobs();
      await scheduler.agenda.db.saveJobState({ ...weekly!, nextRunAt: new Date() }, undefined);
      const [report] = await waitFor('the report to be posted', () => notifier.ofType('schedule.report').length === 1 && notifier.ofType('schedule.report'));
      expect(report).toMatchObject({ audience: [{ role: 'audit' }], data: { details: { scheduleId: 'ops', title: 'Weekly report ops', chainIntact: true } } });

      await deleteReportSchedule(deps, 'ops', erin);
      expect(await reportJobs()).toEqual([]);
    });

    it('on stop, lets a running job finish and releases jobs it had locked but not started', async () => {
      const log = recordingLogger();
      const { deps, store, notifier, scheduler } = await process({ logger: log.logger, settings: { processEveryMs: 3000 } });
      const started = new Promise<void>((resolve) => scheduler.agenda.once('start:window-open', () => resolve()));
      const release = notifier.hold();
      // Filed before the scheduler starts, so its first scan (at start) sees both: one due
      // now, which starts; one due within the scan interval, locked and queued on a timer.
      const running = await approved(deps, 0, 60_000);
      const queued = await approved(deps, 2000, 60_000);
      await scheduler.start();
      await started;
      await waitFor('the queued job to be locked', async () => (await jobsOf(scheduler, queued.code)).find((j) => j.name === 'window-open')?.lockedAt);

      const stopping = scheduler.stop();
      setTimeout(release, 100);
      await stopping;
      const finished = (await jobsOf(scheduler, running.code)).find((j) => j.name === 'window-open');
      expect(finished).toMatchObject({ lastFinishedAt: expect.any(Date) });
      expect(finished?.lockedAt).toBeUndefined();
      expect(notifier.ofType('window.opened').map((n) => n.data.change?.code)).toEqual([running.code]);
      const released = (await jobsOf(scheduler, queued.code)).find((j) => j.name === 'window-open');
      expect(released?.lockedAt).toBeUndefined();
      expect(released?.lastRunAt).toBeUndefined();
      expect(log.messages('scheduler stopped')).toMatchObject([{ released: 1 }]);

      // Another instance takes the released job when it falls due.
      const other = await process();
      await other.scheduler.start();
      await waitFor('the released job to run elsewhere', () => other.notifier.ofType('window.opened').length === 1);
      expect(await store.changes.findByCode(queued.code)).toMatchObject({ status: 'approved' });
    });

    it('stops within its grace period even when a job does not finish', async () => {
      const log = recordingLogger();
      const { deps, notifier, scheduler } = await process({ logger: log.logger, settings: { shutdownGraceMs: 200 } });
      const started = new Promise<void>((resolve) => scheduler.agenda.once('start:window-open', () => resolve()));
      const release = notifier.hold();
      await scheduler.start();
      await approved(deps, 0, 60_000);
      await started;
      await scheduler.stop();
      expect(log.messages('scheduler stopped with jobs still running; they run again elsewhere when their locks expire')).toMatchObject([{ running: 1 }]);
      release();
    });
  });
}
