import type { Logger } from '../logger.js';
import type { ApprovalLinks } from '../services/links/approvalLinks.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import { routeChangeNotifications } from './changeNotifications.js';
import { summariseChange } from './notification.js';
import { NotificationRenderer } from './notificationRenderer.js';
import { OutboxNotifier } from './outboxNotifier.js';
import { routePolicyNotifications } from './policyNotifications.js';
import { SlackDeliveryWorker, type DeliveryOptions } from './slackDeliveryWorker.js';
import { createOutboxWebClient, WebApiSlackPoster, type SlackPoster } from './slackPoster.js';
import { SlackTemplates } from './slackTemplates.js';
import { WebLinks } from './webLinks.js';

export interface NotificationSystem {
  /** The Notifier port other adapters raise notifications through. */
  readonly notifier: OutboxNotifier;
  readonly renderer: NotificationRenderer;
  readonly webLinks: WebLinks;
  /** Absent when Slack is not configured: messages then stay in the outbox, not sent. */
  readonly worker: SlackDeliveryWorker | undefined;
  stop(): Promise<void>;
}

/**
 * Templates, renderer, the outbox notifier, approval routing of change events, and (with a
 * bot token) the worker that delivers the outbox to Slack. Templates that cannot be read or
 * parsed stop start-up here, naming the file.
 */
export function startNotificationSystem(options: {
  readonly deps: ServiceDeps;
  readonly approvalLinks: ApprovalLinks;
  readonly publicUrl: string;
  readonly logger: Logger;
  readonly slack?: { readonly botToken: string; readonly apiUrl: string | undefined } | undefined;
  readonly templatesDir?: string | undefined;
  readonly delivery?: Partial<DeliveryOptions> | undefined;
  /** Tests and benchmarks may post elsewhere than the Web API. */
  readonly poster?: SlackPoster | undefined;
}): NotificationSystem {
  const { deps, logger } = options;
  const webLinks = new WebLinks(options.publicUrl);
  const renderer = new NotificationRenderer(deps, SlackTemplates.load(options.templatesDir), webLinks, options.approvalLinks);
  let worker: SlackDeliveryWorker | undefined;
  const notifier = new OutboxNotifier(deps, renderer, { slackEnabled: options.slack !== undefined, logger, onQueued: () => worker?.wake() });
  if (options.slack) {
    const apiUrl = options.slack.apiUrl?.replace(/\/?$/, '/');
    worker = new SlackDeliveryWorker(
      {
        store: deps.store,
        renderer,
        poster: options.poster ?? new WebApiSlackPoster(createOutboxWebClient(options.slack.botToken, apiUrl)),
        clock: deps.clock,
        logger,
        refreshStaleCopy: (copy, latest) =>
          notifier.refreshCopy(copy, { change: summariseChange(latest) }, `refresh:${latest.code}:v${latest.version}|${copy.channel}:${copy.ts}`),
      },
      options.delivery,
    );
    worker.start();
  }
  const unsubscribers = [routeChangeNotifications(deps, notifier, logger), routePolicyNotifications(deps, notifier, logger)];
  return {
    notifier,
    renderer,
    webLinks,
    worker,
    async stop() {
      for (const unsubscribe of unsubscribers) unsubscribe();
      await worker?.stop();
    },
  };
}
