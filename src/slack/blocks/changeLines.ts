import type { Change } from '../../domain/change/change.js';
import { escapeMrkdwn } from '../../notify/slackEscape.js';
import type { WebLinks } from '../../notify/webLinks.js';

/** `<!date^...>` shows a time in the reader's own time zone; the ISO form is the fallback. */
export function slackDate(at: Date): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${at.toISOString()}>`;
}

export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

/** One line per change in lists: linked code, escaped title, status and window. */
export function changeLine(change: Change, links: WebLinks): string {
  return `<${links.change(change.code)}|${change.code}> ${escapeMrkdwn(change.title)} · _${statusLabel(change.status)}_ · ${slackDate(change.windowStart)} to ${slackDate(change.windowEnd)}`;
}

export function section(text: string) {
  return { type: 'section' as const, text: { type: 'mrkdwn' as const, text: text.length > 3000 ? `${text.slice(0, 2999)}…` : text } };
}

export function context(text: string) {
  return { type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: text.length > 3000 ? `${text.slice(0, 2999)}…` : text }] };
}
