import type { types } from '@slack/bolt';
import type { ChangeAuditReport } from '../../services/changes/changeAudit.js';
import type { MyChanges } from '../../services/changes/listChanges.js';
import type { ChangeValidation } from '../../services/changes/validateChange.js';
import type { PeriodReport } from '../../services/reports/periodReport.js';
import type { RegisteredKey } from '../../store/accountRepository.js';
import { escapeMrkdwn } from '../../notify/slackEscape.js';
import type { WebLinks } from '../../notify/webLinks.js';
import { changeLine, context, section, slackDate, statusLabel } from './changeLines.js';

const MAX_ITEMS = 20;

function listed<T>(items: readonly T[], render: (item: T) => string, empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, MAX_ITEMS).map(render);
  if (items.length > MAX_ITEMS) shown.push(`… and ${items.length - MAX_ITEMS} more`);
  return shown.join('\n');
}

/** `/change list`. */
export function changeListBlocks(mine: MyChanges, links: WebLinks): types.KnownBlock[] {
  return [
    section(`*My open changes*\n${listed(mine.open, (c) => `• ${changeLine(c, links)}`, '_Nothing open._')}`),
    section(`*Waiting for my approval*\n${listed(mine.awaitingMyApproval, (c) => `• ${changeLine(c, links)}`, '_Nothing waits for you._')}`),
  ];
}

/** `/change validate CHG-42`: the lines the proxy would stop, per server. */
export function validationBlocks(validation: ChangeValidation, links: WebLinks): types.KnownBlock[] {
  const { change, findings } = validation;
  const head = `*Preflight of <${links.change(change.code)}|${change.code}>*: ${validation.linesChecked} script ${validation.linesChecked === 1 ? 'line' : 'lines'} checked against the rules for ${change.devices.map(escapeMrkdwn).join(', ')}.`;
  if (findings.length === 0) return [section(`${head}\n:white_check_mark: No line would be blocked or interrupted.`)];
  return [
    section(`${head}\n:warning: ${findings.length} ${findings.length === 1 ? 'line would be' : 'lines would be'} stopped:`),
    section(
      listed(
        findings,
        (f) =>
          `• line ${f.lineNo} \`${escapeMrkdwn(f.line.slice(0, 200))}\` on ${f.devices.map(escapeMrkdwn).join(', ')}: *${f.verdict === 'interrupt' ? `interrupt${f.attempts && f.attempts > 1 ? ` (session cut at attempt ${f.attempts})` : ' (session cut)'}` : 'blocked'}*` +
          `${f.ruleIds.length ? ` by ${f.ruleIds.map(escapeMrkdwn).join(', ')}` : ''}${f.reason ? ` · ${escapeMrkdwn(f.reason)}` : ''}`,
        '',
      ),
    ),
  ];
}

/** `/change audit CHG-42`: the auditor's summary, with the full report on the web. */
export function auditSummaryBlocks(report: ChangeAuditReport, links: WebLinks, nameOf: (id: string) => string): types.KnownBlock[] {
  const { change, audit, sessions } = report;
  const outcome = change.outcome ?? audit.outcome;
  return [
    section(
      `*Audit of <${links.change(change.code)}|${change.code}>* ${escapeMrkdwn(change.title)}\n` +
        `*Status:* ${statusLabel(change.status)} · *Outcome:* ${escapeMrkdwn(outcome.replace(/_/g, ' '))}\n` +
        `*Planned lines:* ${audit.counts.planned} · *executed:* ${audit.counts.planned - audit.counts.missing - audit.counts.partial}` +
        `${audit.counts.partial ? ` · *partly:* ${audit.counts.partial}` : ''} · *missing:* ${audit.counts.missing} · *extra:* ${audit.counts.extra} · *blocked:* ${audit.counts.blocked}`,
    ),
    section(
      `*Sessions (${sessions.length})*\n${listed(
        sessions,
        (s) =>
          `• ${escapeMrkdwn(nameOf(s.user))} on ${escapeMrkdwn(s.device)} from ${escapeMrkdwn(s.clientAddress)} · ${slackDate(s.startedAt)}${s.endedAt ? ` to ${slackDate(s.endedAt)}` : ''} · ${statusLabel(s.state)} · <${links.session(s.id)}|recording>`,
        '_No sessions._',
      )}`,
    ),
    context(`<${links.changeAudit(change.code)}|Full change audit> (planned against executed, session logs and recordings)`),
  ];
}

/** `/change report [--since 7d]`. */
export function periodReportBlocks(report: PeriodReport, nameOf: (id: string) => string): types.KnownBlock[] {
  const count = (entries: Readonly<Record<string, number | undefined>>) =>
    Object.entries(entries)
      .filter(([, n]) => n)
      .map(([key, n]) => `${escapeMrkdwn(key.replace(/_/g, ' '))} ${n}`)
      .join(' · ') || 'none';
  return [
    section(`*Report* from ${slackDate(report.since)} to ${slackDate(report.until)}`),
    section(`*Changes:* ${report.changes.total} (${count(report.changes.byStatus)})\n*Outcomes:* ${count(report.changes.byOutcome)}`),
    section(
      `*Commands:* ${report.commands.total} judged · ${report.commands.blocked} blocked · ${report.commands.interrupted} interrupted\n` +
        `*Refusals by rule:* ${report.commands.refusalsByRule.slice(0, 10).map((r) => `${escapeMrkdwn(r.rule)} ${r.count}`).join(' · ') || 'none'}\n` +
        `*Refusals by user:* ${report.commands.refusalsByUser.slice(0, 10).map((u) => `${escapeMrkdwn(nameOf(u.user))} ${u.blocked + u.interrupted}`).join(' · ') || 'none'}`,
    ),
    section(
      `*Sessions:* ${report.sessions.total} · ${report.sessions.endedAbnormally} ended abnormally\n*High-risk sessions:*\n${listed(
        report.sessions.highRisk,
        (s) => `• ${escapeMrkdwn(s.change)} ${escapeMrkdwn(nameOf(s.user))} on ${escapeMrkdwn(s.device)}: ${s.reasons.map(escapeMrkdwn).join(', ')}`,
        '_none_',
      )}`,
    ),
    section(
      `*Locked users:* ${report.lockedUsers.map((l) => `${escapeMrkdwn(nameOf(l.user))} (${escapeMrkdwn(l.reason)})`).join(', ') || 'none'}\n` +
        `*Audit chain:* ${report.chain.ok ? `:white_check_mark: intact (${report.chain.count} records)` : `:x: broken at record ${report.chain.firstBad}: ${escapeMrkdwn(report.chain.message)}`}`,
    ),
  ];
}

/** `/change key list`. */
export function keyListBlocks(keys: readonly RegisteredKey[]): types.KnownBlock[] {
  if (keys.length === 0) return [section('You have no SSH keys registered. Add one with `/change key add <contents of your .pub file>`.')];
  return [
    section(
      `*Your SSH keys*\n${keys
        .map((k) => {
          const [type, , ...comment] = k.publicKey.split(' ');
          return `• \`${k.fingerprint}\` ${escapeMrkdwn(type ?? '')}${comment.length ? ` ${escapeMrkdwn(comment.join(' '))}` : ''} · added ${slackDate(k.addedAt)}`;
        })
        .join('\n')}`,
    ),
    context('Remove one with `/change key remove SHA256:...`'),
  ];
}
