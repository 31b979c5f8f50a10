import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import type { ApprovalLinks } from '../services/links/approvalLinks.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { RecordingSource } from '../services/sessions/recordingSource.js';
import type { SlackOpenIdClient } from './auth/slackOpenId.js';
import type { portalCsrf } from './http/csrfProtection.js';
import type { PortalSessions } from './http/portalSessions.js';
import type { PageRenderer } from './rendering/pageRenderer.js';

/** What every portal route may use; built once by createWebApp. */
export interface PortalContext {
  readonly deps: ServiceDeps;
  readonly logger: Logger;
  readonly renderer: PageRenderer;
  readonly sessions: PortalSessions;
  readonly csrf: ReturnType<typeof portalCsrf>;
  readonly links: ApprovalLinks;
  readonly publicUrl: string;
  /** PUBLIC_URL is https: HSTS and upgrade-insecure-requests are on. */
  readonly https: boolean;
  readonly signIn: {
    readonly slack: SlackOpenIdClient | undefined;
    /** Local sign-in for the policy's users: only without Slack and bound to loopback. */
    readonly local: { readonly bind: string } | undefined;
  };
  readonly recordings: RecordingSource | undefined;
  /** Slack is configured: the outbox page then shows delivery, not the only copy. */
  readonly slackConfigured: boolean;
  readonly limit: { readonly signIn: RequestHandler; readonly decisions: RequestHandler };
}
