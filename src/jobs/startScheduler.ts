import type { Logger } from '../logger.js';
import type { Notifier } from '../services/notifications/notifier.js';
import type { PeriodReportFormatter } from '../services/reports/periodReportFormat.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { Store } from '../store/store.js';
import { agendaBackendFor } from './agendaBackendFor.js';
import { Scheduler } from './scheduler.js';
import type { SchedulerSettings } from './schedulerSettings.js';

/** Builds the scheduler on the store's own database and starts it. */
export async function startScheduler(parts: {
  readonly store: Store;
  readonly deps: ServiceDeps;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly settings: SchedulerSettings;
  /** How scheduled reports are worded (the Slack adapter's templates, built by main.ts). */
  readonly formatter: PeriodReportFormatter;
}): Promise<Scheduler> {
  const backend = await agendaBackendFor(parts.store);
  // Connected here first so a failure (say, an index MongoDB refuses) stops start-up with its
  // error; Agenda connects again itself, which is harmless, but would only log it.
  await backend.connect();
  const scheduler = new Scheduler({
    deps: parts.deps,
    notifier: parts.notifier,
    backend,
    formatter: parts.formatter,
    logger: parts.logger,
    settings: parts.settings,
  });
  await scheduler.start();
  return scheduler;
}
