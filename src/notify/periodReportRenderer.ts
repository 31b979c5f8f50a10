import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { PeriodReport } from '../services/reports/periodReport.js';
import type { PeriodReportFormatter, ReportPresentation, SlackReport } from '../services/reports/periodReportFormat.js';

/** templates/reports/ beside src/ (and beside dist/ once built). */
export const DEFAULT_REPORT_TEMPLATE_DIR = fileURLToPath(new URL('../../templates/reports/', import.meta.url));

/** A Slack message holds at most 50 blocks; lists are cut to keep well inside that. */
const SLACK_LIST_LIMIT = 10;

const slackOutputSchema = z.object({
  text: z.string().min(1, 'is empty'),
  lines: z.array(z.string()),
  blocks: z.array(z.looseObject({ type: z.string() })).max(50, 'has more than 50 blocks'),
});

/**
 * Renders period reports with templates/reports/periodReport.slack.hbs (Block Kit JSON) and
 * periodReport.html.hbs (a printable page). The Slack template never sees a raw value: every
 * string in its view model is escaped for Slack mrkdwn and for a JSON string beforehand, so
 * editing the wording cannot open an injection; the HTML template relies on handlebars'
 * own HTML escaping.
 */
export class PeriodReportRenderer implements PeriodReportFormatter {
  private constructor(
    private readonly slackTemplate: Handlebars.TemplateDelegate,
    private readonly htmlTemplate: Handlebars.TemplateDelegate,
  ) {}

  static load(dir: string = DEFAULT_REPORT_TEMPLATE_DIR): PeriodReportRenderer {
    const hbs = Handlebars.create();
    const read = (name: string) => {
      const file = `${dir.replace(/\/?$/, '/')}${name}`;
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        throw new Error(`report template ${file} cannot be read: ${(error as Error).message}`);
      }
    };
    return new PeriodReportRenderer(
      hbs.compile(read('periodReport.slack.hbs'), { noEscape: true }),
      hbs.compile(read('periodReport.html.hbs')),
    );
  }

  slack(report: PeriodReport, presentation: ReportPresentation): SlackReport {
    const view = reportView(report, presentation, SLACK_LIST_LIMIT);
    const output = this.slackTemplate(escapeForSlackJson(view), { allowProtoPropertiesByDefault: false });
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch (error) {
      throw new Error(`templates/reports/periodReport.slack.hbs did not produce JSON: ${(error as Error).message}`);
    }
    const checked = slackOutputSchema.safeParse(parsed);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new Error(`templates/reports/periodReport.slack.hbs: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is malformed'}`);
    }
    return { ...checked.data, periodLabel: view.period.label };
  }

  html(report: PeriodReport, presentation: ReportPresentation): string {
    return this.htmlTemplate(reportView(report, presentation, Number.POSITIVE_INFINITY), { allowProtoPropertiesByDefault: false });
  }
}

interface Counted {
  readonly label: string;
  readonly count: number;
}

/** What both templates see: plain data, dates already written out in the report's time zone. */
function reportView(report: PeriodReport, presentation: ReportPresentation, limit: number) {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: presentation.timezone, dateStyle: 'medium', timeStyle: 'short' });
  const when = (date: Date) => format.format(date);
  const counted = (record: Readonly<Record<string, number | undefined>>): Counted[] =>
    Object.entries(record)
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
      .map(([key, count]) => ({ label: key.replaceAll('_', ' '), count }))
      .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  const cut = <T>(items: readonly T[]) => ({ shown: items.slice(0, limit), more: Math.max(0, items.length - limit) });

  const changes = cut(report.changes.list.map((c) => ({ ...c, status: c.status.replaceAll('_', ' '), outcome: c.outcome?.replaceAll('_', ' ') ?? '' })));
  const rules = cut(report.commands.refusalsByRule);
  const users = cut(report.commands.refusalsByUser);
  const highRisk = cut(report.sessions.highRisk.map((s) => ({ ...s, reasons: s.reasons.join('; ') })));
  const locked = cut(report.lockedUsers.map((l) => ({ user: l.user, at: when(l.at), reason: l.reason, by: l.by })));
  return {
    title: presentation.title,
    timezone: presentation.timezone,
    generatedAt: when(report.generatedAt),
    period: {
      since: when(report.since),
      until: when(report.until),
      label: `${when(report.since)} to ${when(report.until)} (${presentation.timezone})`,
    },
    changes: {
      total: report.changes.total,
      byStatus: counted(report.changes.byStatus),
      byOutcome: counted(report.changes.byOutcome),
      list: changes.shown,
      more: changes.more,
    },
    commands: {
      total: report.commands.total,
      blocked: report.commands.blocked,
      interrupted: report.commands.interrupted,
      byRule: rules.shown,
      moreRules: rules.more,
      byUser: users.shown,
      moreUsers: users.more,
    },
    sessions: {
      total: report.sessions.total,
      endedAbnormally: report.sessions.endedAbnormally,
      highRiskCount: report.sessions.highRisk.length,
      highRisk: highRisk.shown,
      moreHighRisk: highRisk.more,
    },
    lockedUsers: locked.shown,
    moreLockedUsers: locked.more,
    // The head as SEQ:HASH: a report kept outside changeguard anchors the trail (audit verify --expect-head).
    chain: report.chain.ok
      ? { ok: true, count: report.chain.count, message: '', anchor: report.chain.head ? `${report.chain.head.seq}:${report.chain.head.hash}` : '' }
      : { ok: false, count: report.chain.count, message: report.chain.message, anchor: '' },
  };
}

/** Slack's three control characters, then what a JSON string cannot hold as is. */
function escapeForSlackJson(value: unknown): unknown {
  if (typeof value === 'string') {
    const mrkdwn = value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
    return JSON.stringify(mrkdwn).slice(1, -1);
  }
  if (Array.isArray(value)) return value.map(escapeForSlackJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, escapeForSlackJson(item)]));
  }
  return value;
}
