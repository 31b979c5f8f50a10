import type { Change } from '../domain/change/change.js';
import { scriptPreview } from '../notify/notificationRenderer.js';
import type { WebLinks } from '../notify/webLinks.js';
import type { ChangeAuditReport } from '../services/changes/changeAudit.js';
import type { MyChanges } from '../services/changes/listChanges.js';
import type { CommandSearchResult } from '../services/search/searchCommands.js';
import type { ChangeValidation } from '../services/changes/validateChange.js';
import type { OutboxMessage } from '../store/outboxRepository.js';
import type { RegisteredKey } from '../store/accountRepository.js';

/**
 * What the answer templates (templates/slack/answers/*.hbs) are given: plain values, escaped by
 * the template engine, never Block Kit. Lists are capped: Slack limits a message's length.
 */
const MAX_ITEMS = 20;
const HOME_ITEMS = 10;

const label = (status: string) => status.replace(/_/g, ' ');

function capped<T, V>(items: readonly T[], max: number, view: (item: T) => V): { items: V[]; more: number } {
  return { items: items.slice(0, max).map(view), more: Math.max(0, items.length - max) };
}

function changeItem(change: Change, links: WebLinks) {
  return { code: change.code, link: links.change(change.code), title: change.title, statusLabel: label(change.status), windowStart: change.windowStart, windowEnd: change.windowEnd };
}

/** `/change list`. */
export function changeListView(mine: MyChanges, links: WebLinks, timezone: string) {
  const open = capped(mine.open, MAX_ITEMS, (c) => changeItem(c, links));
  const awaiting = capped(mine.awaitingMyApproval, MAX_ITEMS, (c) => changeItem(c, links));
  return { timezone, open: open.items, moreOpen: open.more, awaiting: awaiting.items, moreAwaiting: awaiting.more };
}

/** `/change show CHG-42`. */
export function changeDetailsView(change: Change, input: { links: WebLinks; nameOf: (id: string) => string; approveLink?: string | undefined; timezone: string }) {
  const approvals = change.approvals.filter((a) => a.scriptHash === change.scriptHash);
  const decision = change.rejection ?? change.revocation ?? change.cancellation;
  return {
    timezone: input.timezone,
    change: {
      code: change.code,
      link: input.links.change(change.code),
      title: change.title,
      statusLabel: label(change.status),
      outcome: change.outcome ? label(change.outcome) : undefined,
      requesterName: input.nameOf(change.requester),
      executors: (change.executors ?? []).map(input.nameOf),
      group: change.group,
      devices: [...change.devices],
      windowStart: change.windowStart,
      windowEnd: change.windowEnd,
      description: change.description.slice(0, 1000),
    },
    approvals: approvals.map((a) => ({ name: input.nameOf(a.approver), at: a.at })),
    decision: decision && { label: capitalised(label(change.status)), name: input.nameOf(decision.by), at: decision.at, reason: decision.reason },
    script: scriptPreview(change.script),
    approveLink: input.approveLink,
  };
}

/** `/change validate CHG-42`. */
export function validationView(validation: ChangeValidation, links: WebLinks) {
  const findings = capped(validation.findings, MAX_ITEMS, (f) => ({
    lineNo: f.lineNo,
    line: f.line.slice(0, 200),
    devices: f.devices.join(', '),
    stop: f.verdict === 'interrupt' ? `interrupt${f.attempts && f.attempts > 1 ? ` (session cut at attempt ${f.attempts})` : ' (session cut)'}` : 'blocked',
    rules: f.ruleIds.join(', '),
    reason: f.reason,
  }));
  return {
    change: { code: validation.change.code, link: links.change(validation.change.code) },
    linesChecked: validation.linesChecked,
    devices: [...validation.change.devices],
    findings: findings.items,
    moreFindings: findings.more,
  };
}

/** `/change audit CHG-42`. */
export function auditSummaryView(report: ChangeAuditReport, links: WebLinks, nameOf: (id: string) => string, timezone: string) {
  const { change, audit } = report;
  const sessions = capped(report.sessions, MAX_ITEMS, (s) => ({
    userName: nameOf(s.user),
    device: s.device,
    clientAddress: s.clientAddress,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    stateLabel: label(s.state),
    link: links.session(s.id),
  }));
  const outcome = change.outcome ?? audit.outcome;
  return {
    timezone,
    change: { code: change.code, link: links.change(change.code), title: change.title, statusLabel: label(change.status), auditLink: links.changeAudit(change.code) },
    outcome,
    outcomeLabel: label(outcome),
    counts: { ...audit.counts, executed: audit.counts.planned - audit.counts.missing - audit.counts.partial },
    sessions: sessions.items,
    moreSessions: sessions.more,
  };
}

/** `/change key list`. */
export function keyListView(keys: readonly RegisteredKey[], timezone: string) {
  return {
    timezone,
    keys: keys.map((k) => {
      const [type, , ...comment] = k.publicKey.split(' ');
      return { fingerprint: k.fingerprint, type: type ?? '', comment: comment.join(' '), addedAt: k.addedAt };
    }),
  };
}

/** The App Home. */
export function appHomeView(input: { name: string; mine: MyChanges; alerts: readonly OutboxMessage[] | null; links: WebLinks; timezone: string }) {
  const open = capped(input.mine.open, HOME_ITEMS, (c) => changeItem(c, input.links));
  const awaiting = capped(input.mine.awaitingMyApproval, HOME_ITEMS, (c) => changeItem(c, input.links));
  return {
    timezone: input.timezone,
    name: input.name,
    open: open.items,
    moreOpen: open.more,
    awaiting: awaiting.items,
    moreAwaiting: awaiting.more,
    showAlerts: input.alerts !== null,
    alerts: input.alerts?.map((a) => ({ at: a.createdAt, text: a.text })) ?? [],
  };
}

/** `/change search`: `moreLink` is the same search on the web. */
export function commandSearchView(result: CommandSearchResult, links: WebLinks, moreLink: string, timezone: string) {
  return {
    timezone,
    scopeLabel: result.scope === 'own' ? 'your sessions' : 'all sessions',
    found: result.records.length,
    hasMore: result.hasMore,
    moreLink,
    records: result.records.map((record) => ({
      at: record.at,
      user: record.user,
      device: record.device,
      changeCode: record.changeCode,
      changeLink: links.change(record.changeCode),
      verdict: record.verdict,
      rules: record.ruleIds.join(', '),
      sessionLink: links.session(record.sessionId),
      // Shown as inline code, which a backtick would end.
      line: record.line.slice(0, 200).replace(/`/g, 'ˋ'),
    })),
  };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
