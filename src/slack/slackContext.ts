import type { Logger } from '../logger.js';
import type { SlackTemplates } from '../notify/slackTemplates.js';
import type { WebLinks } from '../notify/webLinks.js';
import type { ApprovalLinks } from '../services/links/approvalLinks.js';
import type { PeriodReportFormatter } from '../services/reports/periodReportFormat.js';
import type { ServiceDeps } from '../services/serviceDeps.js';

/** What every Slack listener may use; built once by the adapter. */
export interface SlackContext {
  readonly deps: ServiceDeps;
  readonly webLinks: WebLinks;
  /** The one way Block Kit is written: templates (answers, notifications), as admins may reword them. */
  readonly templates: SlackTemplates;
  readonly approvalLinks: ApprovalLinks;
  /** Period reports as Slack shows them (the scheduled reports' template). */
  readonly reports: PeriodReportFormatter;
  readonly logger: Logger;
}
