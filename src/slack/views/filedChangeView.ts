import type { types } from '@slack/bolt';
import type { Change } from '../../domain/change/change.js';
import { escapeMrkdwn } from '../../notify/slackEscape.js';
import type { WebLinks } from '../../notify/webLinks.js';
import type { ChangeConflicts } from '../../services/changes/changeConflicts.js';
import { slackDate } from '../../notify/slackTemplates.js';

/** The warnings about a change's window, as Slack lines: freezes it is in, changes it overlaps. */
export function conflictLines(conflicts: ChangeConflicts, links: WebLinks, timezone: string): string[] {
  const lines: string[] = [];
  for (const freeze of conflicts.freezes) {
    lines.push(
      `:no_entry: *In the change freeze ${escapeMrkdwn(freeze.id)}*: ${escapeMrkdwn(freeze.reason)} (${escapeMrkdwn(freeze.from)} to ${escapeMrkdwn(freeze.to)}, ${escapeMrkdwn(freeze.timezone)}). ` +
        (conflicts.emergency
          ? `As an emergency it needs *${conflicts.approvalsNeeded} approvals* from different approvers.`
          : 'Not an emergency: it cannot be approved in this window.'),
    );
  }
  for (const other of conflicts.collisions.slice(0, 10)) {
    lines.push(
      `:warning: *Overlaps <${links.change(other.code)}|${escapeMrkdwn(other.code)}>* ${escapeMrkdwn(other.title)} (${other.status.replace(/_/g, ' ')}, ${escapeMrkdwn(other.requester)}) ` +
        `on ${other.devices.map(escapeMrkdwn).join(', ')}, ${slackDate(other.windowStart, timezone)} to ${slackDate(other.windowEnd, timezone)}`,
    );
  }
  if (conflicts.collisions.length > 10) lines.push(`… and ${conflicts.collisions.length - 10} more on the change page.`);
  return lines;
}

/**
 * What the form turns into once a change is filed with something to warn about: the change
 * is filed (the approvers are asked), and the requester reads, before the form closes, which
 * other changes work on the same servers then and which freeze an emergency goes into.
 */
export function filedChangeView(change: Change, conflicts: ChangeConflicts, links: WebLinks, timezone: string): types.ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Change filed' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*<${links.change(change.code)}|${escapeMrkdwn(change.code)}>* ${escapeMrkdwn(change.title)} is filed: its approvers are asked to review it.` } },
      { type: 'section', text: { type: 'mrkdwn', text: conflictLines(conflicts, links, timezone).join('\n').slice(0, 2900) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'The approvers see the same warnings on the request.' }] },
    ],
  };
}
