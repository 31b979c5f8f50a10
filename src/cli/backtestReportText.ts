import type { BacktestGroup, BacktestKind } from '../domain/backtest/backtestReport.js';
import type { PolicyBacktest } from '../services/policy/backtestPolicy.js';

const KIND_LABELS: Readonly<Record<BacktestKind, string>> = {
  newly_blocked: 'newly blocked',
  newly_allowed: 'newly allowed',
  changed: 'changed (block <-> interrupt)',
};

/** `changeguard policy backtest` without --json: what would change, for a person to read. */
export function backtestReportText(result: PolicyBacktest): string {
  const { counts } = result;
  const lines = [
    `${result.source}: ${result.judged} recorded commands from ${result.since.toISOString()} to ${result.until.toISOString()} judged under the draft (${result.rules} rules) in ${Math.round(result.elapsedMs)} ms${result.truncated ? ' (stopped at the limit: narrow the range)' : ''}`,
    `  ${counts.newly_blocked} newly blocked, ${counts.newly_allowed} newly allowed, ${counts.changed} changed, ${result.unchanged} unchanged${result.sessionsCut ? `; ${result.sessionsCut} sessions would have been cut` : ''}`,
  ];
  if (counts.newly_blocked + counts.newly_allowed + counts.changed === 0) {
    lines.push('  No verdict would change.');
    return `${lines.join('\n')}\n`;
  }
  for (const [title, groups] of [['by rule', result.byRule], ['by user', result.byUser], ['by device', result.byDevice]] as const) {
    lines.push('', title);
    for (const group of groups) lines.push(`  ${groupLine(group)}`);
  }
  for (const kind of ['newly_blocked', 'newly_allowed', 'changed'] as const) {
    const examples = result.examples[kind];
    if (examples.length === 0) continue;
    lines.push('', `${KIND_LABELS[kind]}, for example`);
    for (const e of examples) {
      const was = `${e.stored.verdict}${e.stored.ruleIds.length ? ` (${e.stored.ruleIds.join(', ')})` : ''}`;
      const now = `${e.draft.verdict}${e.draft.ruleIds.length ? ` (${e.draft.ruleIds.join(', ')})` : ''}`;
      lines.push(`  ${e.at.toISOString()} ${e.user}@${e.device} ${e.changeCode} ${e.sessionId}: ${e.line}`, `      was ${was}, would be ${now}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function groupLine(group: BacktestGroup): string {
  const parts = (['newly_blocked', 'newly_allowed', 'changed'] as const).filter((k) => group.counts[k] > 0).map((k) => `${group.counts[k]} ${KIND_LABELS[k].split(' (')[0]}`);
  return `${group.key.padEnd(20)} ${parts.join(', ')}`;
}
