import express, { type Express } from 'express';
import type { Logger } from '../logger.js';
import { deriveKey } from '../secrets/deriveKey.js';
import type { ApprovalLinks } from '../services/links/approvalLinks.js';
import type { PeriodReportFormatter } from '../services/reports/periodReportFormat.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { RecordingSource } from '../services/sessions/recordingSource.js';
import { SlackOpenIdClient, type SlackOpenIdSettings } from './auth/slackOpenId.js';
import { portalCsrf } from './http/csrfProtection.js';
import { isLoopbackAddress } from './http/loopbackHost.js';
import { PortalSessions } from './http/portalSessions.js';
import { DEFAULT_RATE_LIMITS, passwordFailureLimiter, rateLimiter, type PortalRateLimits } from './http/rateLimits.js';
import { healthRoutes } from './healthRoutes.js';
import type { PortalContext } from './portalContext.js';
import { portalRouter } from './portalRouter.js';
import { PageRenderer } from './rendering/pageRenderer.js';

export interface WebAppOptions {
  readonly deps: ServiceDeps;
  readonly logger: Logger;
  /** PUBLIC_URL: base of approval links and of the Sign in with Slack redirect. */
  readonly publicUrl: string;
  /** BIND: local sign-in is offered only on a loopback address. */
  readonly bind: string;
  /** The shared secret (CHANGEGUARD_SECRET or $DATA_DIR/link_secret): sessions and CSRF keys derive from it. */
  readonly secret: Buffer;
  /** The same instance the Slack side uses to put links in messages. */
  readonly approvalLinks: ApprovalLinks;
  /** Slack is configured (SLACK_BOT_TOKEN): there is no local sign-in then. */
  readonly slackConfigured: boolean;
  /** Sign in with Slack (SLACK_CLIENT_ID/SECRET; apiUrl from SLACK_API_URL; authorizeUrl for tests). */
  readonly slackSignIn?: SlackOpenIdSettings | undefined;
  /** Session recordings for replay (the proxy's recording store). */
  readonly recordings?: RecordingSource | undefined;
  /** The SSH proxy's public host and port, for the `ssh` lines on change pages. */
  readonly sshProxy?: { readonly host: string; readonly port: number } | undefined;
  /** The printable period report's renderer (the scheduler's, from templates/reports/). */
  readonly reportFormatter?: PeriodReportFormatter | undefined;
  /** Extra `/readyz` checks, such as the scheduler running. */
  readonly readinessChecks?: Readonly<Record<string, () => boolean>> | undefined;
  readonly rateLimits?: Partial<PortalRateLimits> | undefined;
  /** TRUST_PROXY: behind a load balancer, client addresses (audit records, rate limits) come from X-Forwarded-For. */
  readonly trustProxy?: number | readonly string[] | undefined;
  readonly sessionTtlMs?: number | undefined;
}

/**
 * The one HTTP app: health endpoints, the web portal, and (mounted on it by main.ts)
 * Slack's `/slack/events`. The portal keeps its middleware to its own paths.
 */
export function createWebApp(options: WebAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // Express's last-resort handler then never prints a stack trace, whoever's route failed.
  app.set('env', 'production');
  if (options.trustProxy !== undefined) app.set('trust proxy', typeof options.trustProxy === 'number' ? options.trustProxy : [...options.trustProxy]);
  app.use(healthRoutes(options.deps.store, { ...options.readinessChecks }));

  const limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const ctx: PortalContext = {
    deps: options.deps,
    logger: options.logger,
    renderer: PageRenderer.load(),
    sessions: new PortalSessions(deriveKey(options.secret, 'web session'), options.deps.clock, options.sessionTtlMs),
    csrf: portalCsrf(deriveKey(options.secret, 'web csrf')),
    links: options.approvalLinks,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    https: options.publicUrl.startsWith('https:'),
    signIn: {
      slack: options.slackSignIn ? new SlackOpenIdClient(options.slackSignIn, options.deps.clock) : undefined,
      local: !options.slackConfigured && isLoopbackAddress(options.bind) ? { bind: options.bind } : undefined,
    },
    recordings: options.recordings,
    reports: options.reportFormatter,
    sshProxy: options.sshProxy,
    slackConfigured: options.slackConfigured,
    limit: {
      signIn: rateLimiter(limits.signIn, 'sign-in attempts'),
      decisions: rateLimiter(limits.decisions, 'decisions'),
      passwordFailures: passwordFailureLimiter(limits.passwordFailures),
    },
  };
  app.use(portalRouter(ctx, { signInState: deriveKey(options.secret, 'web sign-in state') }));
  return app;
}
