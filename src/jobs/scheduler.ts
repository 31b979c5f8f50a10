import { Agenda, type AgendaBackend, type JobParameters } from 'agenda';
import type { Logger } from '../logger.js';
import type { Notifier } from '../services/notifications/notifier.js';
import type { DomainEvent } from '../services/domainEvents.js';
import type { PeriodReportFormatter } from '../services/reports/periodReportFormat.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import { defineChangeJobs, planChangeJobs, type JobContext } from './changeJobs.js';
import { defineAnchorJob, planAnchorJob } from './anchorJob.js';
import { cancelReportJob, defineReportJobs, planReportJob, reconcileReportJobs } from './reportJobs.js';
import type { SchedulerSettings } from './schedulerSettings.js';

export interface SchedulerParts {
  readonly deps: ServiceDeps;
  readonly notifier: Notifier;
  readonly backend: AgendaBackend;
  readonly formatter: PeriodReportFormatter;
  readonly logger: Logger;
  readonly settings: SchedulerSettings;
}

/** Statuses in which a change still has steps ahead of it. */
const OPEN_STATUSES = ['pending_approval', 'approved', 'in_progress'] as const;

/**
 * Agenda, wired to changeguard: the job definitions (each one service call), the domain
 * events that (re)schedule them, a reconciliation at start for anything an event missed
 * (a crash between a write and its scheduling), logging of failures and retries, and a
 * graceful stop. Several processes may run one each on a shared store: Agenda's locks give
 * every run to one of them.
 */
export class Scheduler {
  readonly agenda: Agenda;
  private readonly context: JobContext;
  private unsubscribe: (() => void) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly parts: SchedulerParts) {
    const { settings, logger } = parts;
    this.agenda = new Agenda({
      backend: parts.backend,
      name: settings.instanceName,
      processEvery: settings.processEveryMs,
      defaultLockLifetime: settings.lockLifetimeMs,
      // A finished one-time job stays as the record that its step ran (see planChangeJobs).
      removeOnComplete: false,
    });
    this.context = { agenda: this.agenda, deps: parts.deps, notifier: parts.notifier, settings, logger };
    defineChangeJobs(this.context);
    defineReportJobs(this.context, parts.formatter);
    defineAnchorJob(this.context);
    this.logJobLifecycle();
  }

  /** True while this process takes jobs (for /readyz). */
  get running(): boolean {
    return this.stopping === undefined && this.agenda.isActiveJobProcessor();
  }

  /** Schedules what is missing, then starts taking jobs. */
  async start(): Promise<void> {
    await this.agenda.ready;
    this.unsubscribe = this.parts.deps.events.subscribe((event) => this.onEvent(event));
    await this.reconcile();
    await this.agenda.start();
    this.parts.logger.info({ backend: this.parts.backend.name, instance: this.parts.settings.instanceName }, 'scheduler started');
  }

  /**
   * Stops taking jobs and lets running ones finish, for at most `shutdownGraceMs`. Jobs this
   * process had locked but not started are released for other processes at once; a job
   * still running at the deadline keeps its lock and is run again elsewhere once the lock
   * expires (every step is safe to run twice).
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.unsubscribe?.();
      if (!this.agenda.isActiveJobProcessor()) return;
      const ids = (jobs: number | JobParameters[]) => (Array.isArray(jobs) ? jobs.flatMap((job) => (job._id ? [String(job._id)] : [])) : []);
      const stats = await this.agenda.getRunningStats(true);
      const running = new Set(ids(stats.runningJobs));
      const held = ids(stats.lockedJobs).filter((id) => !running.has(id));
      // A queued job whose time comes during the drain still starts; it is not idle then.
      const startedMeanwhile = new Set<string>();
      const track = (job: { attrs: JobParameters }) => void startedMeanwhile.add(String(job.attrs._id));
      this.agenda.on('start', track);
      const drained = await this.agenda.drain({ timeout: this.parts.settings.shutdownGraceMs });
      this.agenda.off('start', track);
      if (drained.timedOut) {
        this.parts.logger.warn({ running: drained.running }, 'scheduler stopped with jobs still running; they run again elsewhere when their locks expire');
      }
      const idle = held.filter((id) => !startedMeanwhile.has(id));
      if (idle.length > 0) await this.agenda.db.unlockJobs(idle);
      this.parts.logger.info({ finished: drained.completed, released: idle.length }, 'scheduler stopped');
    })();
    return this.stopping;
  }

  /** Re-applies every open change's timeline and every report schedule (idempotent). */
  async reconcile(): Promise<void> {
    const changes = await this.parts.deps.store.changes.list({ statuses: [...OPEN_STATUSES] });
    for (const change of changes) {
      try {
        await planChangeJobs(this.context, change, 'reconcile');
      } catch (error) {
        // One change that cannot be planned must not keep the others (or start-up) waiting.
        this.parts.logger.error({ err: error, change: change.code }, 'could not schedule the steps of a change');
      }
    }
    await reconcileReportJobs(this.context);
    await planAnchorJob(this.context);
  }

  private async onEvent(event: DomainEvent): Promise<void> {
    try {
      switch (event.type) {
        case 'change.created':
        case 'change.approved':
        case 'change.rescheduled':
        case 'change.edited':
        case 'change.rejected':
        case 'change.revoked':
        case 'change.cancelled':
        case 'change.expired':
        case 'change.closed':
          await planChangeJobs(this.context, event.change, 'replace');
          break;
        case 'report_schedule.created':
        case 'report_schedule.updated':
          await planReportJob(this.context, event.schedule);
          break;
        case 'report_schedule.deleted':
          await cancelReportJob(this.context, event.schedule.id);
          break;
        default:
          break;
      }
    } catch (error) {
      // The write that raised the event stands; the next start's reconciliation schedules it.
      this.parts.logger.error({ err: error, event: event.type }, 'scheduling after a domain event failed');
    }
  }

  private logJobLifecycle(): void {
    const { logger } = this.parts;
    const about = (job: { attrs: JobParameters }) => ({ job: job.attrs.name, id: String(job.attrs._id), data: job.attrs.data });
    this.agenda.on('fail', (error, job) => {
      logger.warn({ ...about(job), failCount: job.attrs.failCount, err: error }, 'scheduled job failed');
    });
    this.agenda.on('retry', (job, details) => {
      logger.info({ ...about(job), attempt: details.attempt, retryAt: details.nextRunAt.toISOString() }, 'scheduled job will be retried');
    });
    this.agenda.on('retry exhausted', (error, job) => {
      logger.error({ ...about(job), failCount: job.attrs.failCount, err: error }, 'scheduled job failed for good');
    });
    this.agenda.on('error', (error) => {
      logger.error({ err: error }, 'scheduler error');
    });
  }
}
