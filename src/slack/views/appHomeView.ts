import type { types } from '@slack/bolt';
import type { OutboxMessage } from '../../store/outboxRepository.js';
import type { MyChanges } from '../../services/changes/listChanges.js';
import { escapeMrkdwn } from '../../notify/slackEscape.js';
import type { WebLinks } from '../../notify/webLinks.js';
import { changeLine, context, section, slackDate } from '../blocks/changeLines.js';

const MAX_LINES = 10;

/** App Home: my open changes, approvals waiting for me, and recent alerts for security. */
export function appHomeView(input: { name: string; mine: MyChanges; alerts: readonly OutboxMessage[] | null; links: WebLinks }): types.HomeView {
  const blocks: types.KnownBlock[] = [
    section(`*changeguard* for ${escapeMrkdwn(input.name)}. File a change with \`/change new\`; \`/change help\` lists everything.`),
    { type: 'divider' },
    section('*My open changes*'),
    ...lines(input.mine.open.map((c) => changeLine(c, input.links)), 'Nothing open.'),
    { type: 'divider' },
    section('*Waiting for my approval*'),
    ...lines(input.mine.awaitingMyApproval.map((c) => changeLine(c, input.links)), 'Nothing waits for you.'),
  ];
  if (input.alerts) {
    blocks.push(
      { type: 'divider' },
      section('*Recent security alerts*'),
      ...lines(
        input.alerts.map((a) => `${slackDate(a.createdAt)} ${escapeMrkdwn(a.text)}`),
        'No alerts.',
      ),
    );
  }
  return { type: 'home', blocks: blocks.slice(0, 100) };
}

function lines(items: readonly string[], empty: string): types.KnownBlock[] {
  if (items.length === 0) return [context(empty)];
  const shown: types.KnownBlock[] = items.slice(0, MAX_LINES).map((line) => section(line));
  if (items.length > MAX_LINES) shown.push(context(`and ${items.length - MAX_LINES} more`));
  return shown;
}
