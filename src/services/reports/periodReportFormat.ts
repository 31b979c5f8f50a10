import type { PeriodReport } from './periodReport.js';

/** How a report is titled and in which time zone its dates are shown. */
export interface ReportPresentation {
  readonly title: string;
  readonly timezone: string;
}

/** A report as a Slack message: fallback text, Block Kit blocks, and one-line highlights. */
export interface SlackReport {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
  readonly lines: readonly string[];
  /** The period in words, in the presentation's time zone. */
  readonly periodLabel: string;
}

/**
 * Turns a period report into what people read. Implemented in notify/ with the handlebars
 * templates in templates/reports/, so the wording is the admins' to change.
 */
export interface PeriodReportFormatter {
  slack(report: PeriodReport, presentation: ReportPresentation): SlackReport;
  html(report: PeriodReport, presentation: ReportPresentation): string;
}
