/**
 * A proxy worker (PROXY_WORKERS > 1), the composition root of a proxy-only process: the SSH
 * proxy alone, in a process forked by `ProxyWorkerPool` (proxy/workers/) with node:cluster, listening on the shared PROXY_PORT. It opens its own
 * connection to the store: sessions, commands, alerts (through the outbox) and supervision
 * (Terminate, lock, revoke, window end: `reviewLiveSessions` reads the store every second) all
 * go through the store, as with several product processes. Web, Slack, jobs and notification
 * delivery stay in the primary.
 */
import { systemClock } from './domain/clock.js';
import { ShellParser } from './domain/shell/shellParser.js';
import { createLogger } from './logger.js';
import { InProcessEventBus } from './services/domainEvents.js';
import { OutboxNotifier } from './services/notifications/outboxNotifier.js';
import { createServiceDeps } from './services/serviceDeps.js';
import { openRecordingStore } from './store/openRecordingStore.js';
import { openStore } from './store/openStore.js';
import { loadOrCreateHostKey } from './proxy/hostKey.js';
import { SshProxy } from './proxy/sshProxy.js';
import type { PrimaryToWorker, ProxyWorkerSettings, WorkerToPrimary } from './proxy/workers/proxyWorkerMessages.js';

function send(message: WorkerToPrimary): void {
  process.send?.(message);
}

async function run(settings: ProxyWorkerSettings): Promise<void> {
  const logger = createLogger(settings.logLevel).child({ component: 'proxy', worker: settings.index });
  const store = await openStore({ mongodbUri: settings.mongodbUri, sqliteFile: settings.sqliteFile });
  const events = new InProcessEventBus((error, event) => logger.error({ err: error, event: event.type }, 'event subscriber failed'));
  const deps = createServiceDeps({ store, clock: systemClock, parser: await ShellParser.load(), events });
  const notifier = new OutboxNotifier(deps, { logger });
  const proxy = await SshProxy.start({
    deps,
    notifier,
    recordings: await openRecordingStore(store, settings.dataDir),
    logger,
    // The primary created it before forking: every worker presents the same host key.
    hostKey: loadOrCreateHostKey(settings.proxy.hostKeyFile),
    port: settings.proxy.port,
    bind: settings.proxy.bind,
    storeOutage: settings.proxy.onStoreOutage,
    worker: settings.index,
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= proxy
      .stop()
      .then(() => notifier.stop())
      .then(() => store.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'proxy worker stop failed');
          process.exit(1);
        },
      );
  };
  process.on('message', (message: PrimaryToWorker) => message.type === 'proxy-stop' && stop());
  // A signal to the whole process group, or the primary gone: cut and record sessions, then exit.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
  send({ type: 'proxy-ready', port: proxy.port });
}

process.once('message', (message: PrimaryToWorker) => {
  if (message.type !== 'proxy-settings') return;
  run(message.settings).catch((error: unknown) => {
    send({ type: 'proxy-failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
});
send({ type: 'proxy-hello' });
