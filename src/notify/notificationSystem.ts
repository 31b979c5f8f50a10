import type { Logger } from '../logger.js';
import { summariseChange } from '../domain/notifications/catalogue.js';
import type { ApprovalLinks } from '../services/links/approvalLinks.js';
import { OutboxNotifier } from '../services/notifications/outboxNotifier.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { OutboxMessage } from '../store/outboxRepository.js';
import { NotificationRenderer } from './notificationRenderer.js';
import { SlackDeliveryWorker, type DeliveryOptions } from './slackDeliveryWorker.js';
import { createOutboxWebClient, WebApiSlackPoster, type SlackPoster } from './slackPoster.js';
import { SlackTemplates } from './slackTemplates.js';
import { WebLinks } from './webLinks.js';

export interface NotificationSystem {
  /** The Notifier port other adapters raise notifications through. */
  readonly notifier: OutboxNotifier;
  readonly renderer: NotificationRenderer;
  /** Every Slack message's Block Kit: notifications, answers, buttons (templates/slack/). */
  readonly templates: SlackTemplates;
  readonly webLinks: WebLinks;
  /** Absent when Slack is not configured: messages then stay in the outbox, not sent. */
  readonly worker: SlackDeliveryWorker | undefined;
  stop(): Promise<void>;
}

/**
 * The Slack side of notifications: templates and renderer (which also word the outbox rows
 * the use cases store), the notifier for alerts raised outside a use case, and (with a bot
 * token) the worker that delivers the outbox to Slack. Templates that cannot be read or
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
  /** How often notifications held during a store outage are offered to it again (default 2 s). */
  readonly heldRetryMs?: number | undefined;
  /** Tests and benchmarks may post elsewhere than the Web API. */
  readonly poster?: SlackPoster | undefined;
}): NotificationSystem {
  const { deps, logger } = options;
  const webLinks = new WebLinks(options.publicUrl);
  const templates = SlackTemplates.load(options.templatesDir);
  const renderer = new NotificationRenderer(deps, templates, webLinks, options.approvalLinks);
  let worker: SlackDeliveryWorker | undefined;
  deps.outbox.use({
    text: renderer,
    slackEnabled: options.slack !== undefined,
    onStored: (rows: readonly OutboxMessage[]) => {
      for (const row of rows) {
        if (row.status === 'not_sent') logger.info({ type: row.type, audience: row.audience, text: row.text, outbox: row.id }, `notification not sent: ${row.lastError ?? 'no destination'}`);
      }
      if (rows.some((row) => row.status === 'pending')) worker?.wake();
    },
  });
  const notifier = new OutboxNotifier(deps, { logger, heldRetryMs: options.heldRetryMs });
  if (options.slack) {
    const apiUrl = options.slack.apiUrl?.replace(/\/?$/, '/');
    worker = new SlackDeliveryWorker(
      {
        store: deps.store,
        renderer,
        poster: options.poster ?? new WebApiSlackPoster(createOutboxWebClient(options.slack.botToken, apiUrl)),
        clock: deps.clock,
        logger,
        // Every copy not yet showing this version gets an edit (the others' keys are taken).
        refreshStaleCopy: (_copy, latest) =>
          notifier.notify({ type: 'access.request_created', audience: [{ requestCopies: latest.code }], data: { change: summariseChange(latest) } }),
      },
      options.delivery,
    );
    worker.start();
  }
  return {
    notifier,
    renderer,
    templates,
    webLinks,
    worker,
    async stop() {
      await worker?.stop();
      await notifier.stop();
    },
  };
}
