import type { types } from '@slack/bolt';
import type { Change } from '../../domain/change/change.js';
import { scriptPreview } from '../../notify/notificationRenderer.js';
import { escapeMrkdwn } from '../../notify/slackEscape.js';
import type { WebLinks } from '../../notify/webLinks.js';
import { context, section, slackDate, statusLabel } from './changeLines.js';

/** `/change show CHG-42`: the change as filed, where it stands, and who decided what. */
export function changeDetailsBlocks(change: Change, input: { links: WebLinks; nameOf: (id: string) => string; approveLink?: string | undefined }): types.KnownBlock[] {
  const approvals = change.approvals.filter((a) => a.scriptHash === change.scriptHash);
  const decision = change.rejection ?? change.revocation ?? change.cancellation;
  const preview = scriptPreview(change.script);
  const blocks: types.KnownBlock[] = [
    section(`*<${input.links.change(change.code)}|${change.code}> ${escapeMrkdwn(change.title)}*\n_${statusLabel(change.status)}_${change.outcome ? ` · outcome ${escapeMrkdwn(change.outcome.replace(/_/g, ' '))}` : ''}`),
    section(
      [
        `*Requester:* ${escapeMrkdwn(input.nameOf(change.requester))}`,
        `*Group:* ${escapeMrkdwn(change.group)} · *Servers:* ${change.devices.map(escapeMrkdwn).join(', ')}`,
        `*Window:* ${slackDate(change.windowStart)} to ${slackDate(change.windowEnd)}`,
        `*Approvals:* ${approvals.length === 0 ? 'none yet' : approvals.map((a) => `${escapeMrkdwn(input.nameOf(a.approver))} ${slackDate(a.at)}`).join(', ')}`,
        ...(decision
          ? [`*${statusLabel(change.status)} by* ${escapeMrkdwn(input.nameOf(decision.by))} ${slackDate(decision.at)}${decision.reason ? `: ${escapeMrkdwn(decision.reason)}` : ''}`]
          : []),
      ].join('\n'),
    ),
  ];
  if (change.description) blocks.push(section(escapeMrkdwn(change.description.slice(0, 1000))));
  blocks.push(
    section(
      `*Script*\n\`\`\`${escapeMrkdwn(preview.preview)}\`\`\`${preview.moreLines > 0 ? `\n… ${preview.moreLines} more lines: <${input.links.change(change.code)}|see the whole script>` : ''}`,
    ),
  );
  if (input.approveLink) blocks.push(context(`<${input.approveLink}|Review it in changeguard> (personal link, single use)`));
  return blocks;
}
