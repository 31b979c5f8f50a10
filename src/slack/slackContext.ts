import type { Logger } from '../logger.js';
import type { WebLinks } from '../notify/webLinks.js';
import type { ApprovalLinks } from '../services/links/approvalLinks.js';
import type { ServiceDeps } from '../services/serviceDeps.js';

/** What every Slack listener may use; built once by the adapter. */
export interface SlackContext {
  readonly deps: ServiceDeps;
  readonly webLinks: WebLinks;
  readonly approvalLinks: ApprovalLinks;
  readonly logger: Logger;
}
