import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { basename, extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type Config } from './config.js';
import { systemClock } from './domain/clock.js';
import { ShellParser } from './domain/shell/shellParser.js';
import { DEFAULT_SCHEDULER_SETTINGS } from './jobs/schedulerSettings.js';
import type { Scheduler } from './jobs/scheduler.js';
import { startScheduler } from './jobs/startScheduler.js';
import { createLogger, type Logger } from './logger.js';
import type { Notifier } from './services/notifications/notifier.js';
import { startNotificationSystem } from './notify/notificationSystem.js';
import { PeriodReportRenderer } from './notify/periodReportRenderer.js';
import { loadOrCreateHostKey } from './proxy/hostKey.js';
import { SshProxy } from './proxy/sshProxy.js';
import { ProxyWorkerPool } from './proxy/workers/proxyWorkerPool.js';
import { loadSharedSecret } from './secrets/linkSecret.js';
import { systemActor } from './services/actor.js';
import { SiemForwarder } from './services/siem/siemForwarder.js';
import { siemSinksFrom } from './siem/siemSinks.js';
import { CommitRelayLoop } from './services/commits/commitRelayLoop.js';
import { ApprovalLinks } from './services/links/approvalLinks.js';
import { importPolicy } from './services/policy/policyImport.js';
import { InProcessEventBus } from './services/domainEvents.js';
import { createServiceDeps, type ServiceDeps } from './services/serviceDeps.js';
import { ServiceError } from './services/serviceError.js';
import { createSlackAdapter, type SlackAdapter } from './slack/slackAdapter.js';
import { openRecordingStore } from './store/openRecordingStore.js';
import { openStore } from './store/openStore.js';
import type { RecordingStore } from './store/recordingStore.js';
import { describeStartup, listenFailure } from './startupSummary.js';
import { createWebApp } from './web/webApp.js';

export interface RunningChangeguard {
  readonly config: Config;
  readonly deps: ServiceDeps;
  readonly http: Server;
  /** Where adapters raise notifications (Slack through the outbox, or the outbox alone). */
  readonly notifier: Notifier;
  /** The SSH proxy in this process, or its worker processes (PROXY_WORKERS > 1). */
  readonly proxy: SshProxy | ProxyWorkerPool;
  /** Session recordings (asciicast v2), written by the proxy, replayed by the web portal. */
  readonly recordings: RecordingStore;
  stop(): Promise<void>;
}

/** Composition root: builds the store, services and adapters, and starts them. */
export async function startChangeguard(config: Config, logger: Logger): Promise<RunningChangeguard> {
  const store = await openStore(config);
  const parser = await ShellParser.load();
  // A failing subscriber (a notification, a job plan) never undoes the write, but is logged.
  const events = new InProcessEventBus((error, event) => logger.error({ err: error, event: event.type }, 'event subscriber failed'));
  const deps = createServiceDeps({ store, clock: systemClock, parser, events });
  // What a crash left between a write and its relay (MongoDB) reaches the trail and the outbox first.
  const relay = new CommitRelayLoop(store, logger.child({ component: 'commits' }));
  await relay.start();
  // The SIEM stream: its sinks are registered before anything is written (the policy import
  // below is the first), so every audit record and alert from here on reaches them.
  const siemSinks = siemSinksFrom(config.siem);
  let siem: SiemForwarder | undefined;
  if (siemSinks.length > 0) {
    if (!store.siemFeed) throw new ConfigError('SIEM_SYSLOG_URL / SIEM_WEBHOOK_URL: this store cannot feed the SIEM stream');
    siem = new SiemForwarder({ feed: store.siemFeed, clock: systemClock }, siemSinks, logger.child({ component: 'siem' }));
    await siem.start();
    logger.info({ sinks: siemSinks.map((sink) => sink.name) }, 'SIEM stream on');
  }
  deps.events.subscribe((event) => logger.info({ event: event.type }, 'domain event'));

  if (!config.slack) logger.warn('Slack is not configured (SLACK_BOT_TOKEN unset): notifications go to the outbox only');

  // Declared before the web app so /readyz can ask it; started after the adapters.
  let scheduler: Scheduler | undefined;
  // Session recordings: the proxy writes them, the web portal replays them (issue #4).
  const recordings = await openRecordingStore(store, config.dataDir);

  // --- web portal (issue #5) ---------------------------------------------------------------
  // One secret signs the approval links in Slack messages and the web sessions: every process
  // must hold the same one (CHANGEGUARD_SECRET, or $DATA_DIR/link_secret on shared storage).
  const secret = await loadSharedSecret({ hex: config.sharedSecretHex, dataDir: config.dataDir });
  const approvalLinks = new ApprovalLinks(secret, config.publicUrl);
  // Started before the web app and the policy import: it sets how stored notifications are worded.
  const reportFormatter = PeriodReportRenderer.load();
  const notifications = startNotificationSystem({ deps, approvalLinks, publicUrl: config.publicUrl, logger, slack: config.slack });
  // The proxy starts later; with PROXY_PORT=0 its port is known only then.
  let proxyPort: number | undefined;
  const sshProxyAddress = {
    host: config.proxy.publicHost,
    get port(): number {
      return config.proxy.publicPort === 0 ? (proxyPort ?? 0) : config.proxy.publicPort;
    },
  };
  const app = createWebApp({
    deps,
    logger,
    publicUrl: config.publicUrl,
    bind: config.bind,
    trustProxy: config.trustProxy,
    secret,
    approvalLinks,
    slackConfigured: config.slack !== undefined,
    slackSignIn: config.slackSignIn && { ...config.slackSignIn, apiUrl: config.slack?.apiUrl },
    recordings,
    sshProxy: sshProxyAddress,
    reportFormatter,
    readinessChecks: { scheduler: () => scheduler?.running ?? false },
  });
  // --- end web portal -------------------------------------------------------------------------

  // --- Slack adapter and notification delivery (issue #3) -----------------------------------
  // After the notification system sets how outbox rows are worded: an import announces itself.
  if (config.policyFile) {
    const text = await readFile(config.policyFile).catch((error: Error) => {
      throw new ConfigError(`POLICY_FILE: cannot read ${config.policyFile}: ${error.message}`);
    });
    const summary = await importPolicy(deps, text, basename(config.policyFile), systemActor('policy file')).catch(async (error: unknown) => {
      await notifications.stop();
      throw error;
    });
    logger.info({ created: summary.created, updated: summary.updated, deleted: summary.deleted }, 'policy loaded');
  }
  let slack: SlackAdapter | undefined;
  if (config.slack) {
    const context = { deps, webLinks: notifications.webLinks, templates: notifications.templates, reports: reportFormatter, approvalLinks, logger };
    // HTTP mode mounts POST /slack/events on `app` here, before it listens.
    slack = createSlackAdapter(config.slack, context, app, logger);
    await slack.start();
    logger.info({ mode: slack.mode }, slack.mode === 'socket' ? 'Slack connected in Socket Mode' : 'Slack events served at /slack/events');
  }
  // --- end of Slack adapter and notification delivery ---------------------------------------

  // --- scheduler (issue #6): windows, reminders, expiry and reports on Agenda, in the store's database.
  scheduler = await startScheduler({
    store,
    deps,
    formatter: reportFormatter,
    notifier: notifications.notifier,
    logger: logger.child({ component: 'scheduler' }),
    settings: { ...DEFAULT_SCHEDULER_SETTINGS, ...config.scheduler },
  });
  // --- end scheduler

  // --- SSH proxy (issue #4) ------------------------------------------------------------------
  let proxy: SshProxy | ProxyWorkerPool;
  try {
    const hostKey = loadOrCreateHostKey(config.proxy.hostKeyFile);
    proxy =
      config.proxy.workers > 1
        ? // Created above before forking, so the workers read one host key rather than racing to make one.
          await ProxyWorkerPool.start(
            config.proxy.workers,
            // The worker's own composition root, beside this file (.ts from the sources, .js built).
            new URL(`./proxyWorker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
            { mongodbUri: config.mongodbUri, sqliteFile: config.sqliteFile, dataDir: config.dataDir, logLevel: config.logLevel, proxy: config.proxy },
            logger.child({ component: 'proxy' }),
          )
        : await SshProxy.start({
            deps,
            notifier: notifications.notifier,
            recordings,
            logger: logger.child({ component: 'proxy' }),
            hostKey,
            port: config.proxy.port,
            bind: config.proxy.bind,
            storeOutage: config.proxy.onStoreOutage,
          });
  } catch (error) {
    await scheduler.stop();
    await notifications.stop();
    throw error;
  }
  proxyPort = proxy.port;
  // --- end SSH proxy --------------------------------------------------------------------------

  const http = await new Promise<Server>((resolvePromise, reject) => {
    // Express 5 calls back with the listen error too (EADDRINUSE): only a clean listen resolves.
    const server = app.listen(config.port, config.bind, (error?: Error) => (error ? reject(error) : resolvePromise(server)));
  }).catch(async (error: unknown) => {
    await proxy.stop();
    await scheduler.stop();
    await notifications.stop();
    throw error;
  });
  const summary = describeStartup({
    config,
    httpAddress: http.address(),
    store,
    slackMode: slack?.mode,
    proxyPort: proxy.port,
    policy: (await deps.policies.current()).policy,
  });
  logger.info(summary.fields, summary.message);
  if (summary.warning) logger.warn(summary.warning);

  let stopping: Promise<void> | undefined;
  return {
    config,
    deps,
    http,
    notifier: notifications.notifier,
    proxy,
    recordings,
    stop() {
      stopping ??= (async () => {
        // First: no new jobs, running ones finish (bounded) while the store and notifier still work.
        await scheduler.stop();
        // Live sessions are cut and their ends recorded and notified before those stop.
        await proxy.stop();
        await slack?.stop();
        await notifications.stop();
        await new Promise<void>((done) => http.close(() => done()));
        http.closeAllConnections();
        await relay.stop();
        // After everything that writes; what it has not sent waits in the store for the next start.
        await siem?.stop();
        await store.close();
        logger.info('changeguard stopped');
      })();
      return stopping;
    },
  };
}

async function runFromCommandLine(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`changeguard: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  let running: RunningChangeguard;
  try {
    running = await startChangeguard(config, logger);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ServiceError) {
      process.stderr.write(`changeguard: ${error.message}\n`);
      process.exit(2);
    }
    const listening = listenFailure(error, config);
    if (listening) {
      process.stderr.write(`changeguard: ${listening}\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runFromCommandLine();
}
