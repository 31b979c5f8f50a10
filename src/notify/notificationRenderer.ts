import type { Change } from '../domain/change/change.js';
import type { PolicyGroup, PolicyUser } from '../domain/policy/policy.js';
import { findChangeConflicts, type ChangeConflicts } from '../services/changes/changeConflicts.js';
import { webApprovalRequirement } from '../services/changes/webApprovalRequirement.js';
import type { ApprovalLinks } from '../services/links/approvalLinks.js';
import type { NotificationText } from '../services/notifications/notificationText.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import { parseAudienceKey } from '../domain/notifications/audienceKey.js';
import { slackTextToPlain } from './slackEscape.js';
import { ACTION_IDS } from './interactiveActions.js';
import { summariseChange, type ChangeSummary, type NotificationData, type NotificationType } from '../domain/notifications/catalogue.js';
import { NOTIFICATION_LABELS } from '../domain/notifications/notificationLabels.js';
import type { SlackMessageContent, SlackTemplates } from './slackTemplates.js';
import type { WebLinks } from './webLinks.js';

export interface RenderedNotification {
  readonly content: SlackMessageContent;
  /** A template problem worth logging (the content then uses built-in wording). */
  readonly problem?: string | undefined;
  /** For a change request card: the change version it shows, to spot a copy gone stale. */
  readonly changeVersion?: number | undefined;
}

/** Where a script preview stops: Slack sections hold 3,000 characters; the rest is on the web. */
const PREVIEW_LINES = 15;
const PREVIEW_CHARS = 1500;
const DESCRIPTION_CHARS = 1000;

/** Alerts that get Terminate session / Lock user buttons when posted to a channel. */
const SECURITY_ALERTS: ReadonlySet<NotificationType> = new Set<NotificationType>([
  'command.allow',
  'command.block',
  'command.block_interrupt',
  'command.high_criticality',
  'command.medium_criticality',
  'command.low_criticality',
  'session.started',
  'session.high_risk',
]);

/**
 * Turns a notification into the Slack message for one audience: builds the view model
 * (names from the policy, links, the change request card from the latest stored change),
 * renders its template, and adds the buttons that belong to it.
 */
export class NotificationRenderer implements NotificationText {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'store' | 'policies' | 'clock' | 'parser'>,
    private readonly templates: SlackTemplates,
    private readonly webLinks: WebLinks,
    private readonly approvalLinks: ApprovalLinks,
  ) {}

  /** The template's text as a person reads it outside Slack (outbox rows, logs): from the data alone. */
  async plainText(type: NotificationType, data: NotificationData, audience: string): Promise<string> {
    return slackTextToPlain((await this.render(type, data, audience, { textOnly: true })).content.text);
  }

  async render(type: NotificationType, data: NotificationData, audience: string, options: { textOnly?: boolean } = {}): Promise<RenderedNotification> {
    const { policy } = await this.deps.policies.current();
    const nameOf = (id: string) => policy.users.find((u) => u.id === id)?.name ?? id;
    const view: Record<string, unknown> = {
      type,
      label: NOTIFICATION_LABELS[type],
      timezone: policy.settings.timezone,
      actor: data.actor,
      actorName: data.actor === undefined ? undefined : nameOf(data.actor),
      reason: data.reason,
      url: data.url,
      details: withUserName(data.details, nameOf),
    };
    if (data.change) view.change = this.changeView(data.change, nameOf);
    if (data.session) view.session = { ...data.session, userName: nameOf(data.session.user), link: this.webLinks.session(data.session.id) };
    if (data.command) view.command = { ...data.command, rules: [...data.command.rules] };

    const target = parseAudienceKey(audience);
    const recipient = target && 'user' in target ? target.user : undefined;
    // The buttons, placed by the templates (partials/reviewButtons.hbs, securityButtons.hbs).
    const actions: { review?: Record<string, unknown>; security?: Record<string, unknown>; deviation?: Record<string, unknown> } = {};
    let changeVersion: number | undefined;

    if (type === 'access.request_created' && data.change && !options.textOnly) {
      const change = await this.deps.store.changes.findByCode(data.change.code);
      if (change) {
        const group = policy.groups.find((g) => g.id === change.group);
        view.change = this.changeView(summariseChange(change), nameOf);
        // Approvers (and the requester's copy) are warned of overlapping changes and freezes while it is pending.
        const conflicts = change.status === 'pending_approval' ? await findChangeConflicts(this.deps, change) : undefined;
        const card = this.card(change, group, recipient, policy.users, conflicts);
        view.card = card;
        changeVersion = change.version;
        // Not on a copy for someone who may never review it: the requester, an executor.
        if (change.status === 'pending_approval' && recipient !== change.requester && !(recipient !== undefined && change.executors?.includes(recipient))) {
          const webOnly = (await webApprovalRequirement(this.deps, change)).required;
          const url = card.approveLink ?? this.webLinks.change(change.code);
          actions.review = {
            value: JSON.stringify({ code: change.code, scriptHash: change.scriptHash }),
            approveId: ACTION_IDS.approve,
            approveOnWebId: ACTION_IDS.approveOnWeb,
            rejectId: ACTION_IDS.reject,
            webOnly,
            url,
          };
        }
      }
    }
    const button = (id: string, value: unknown) => ({ id, value: JSON.stringify(value) });
    if (SECURITY_ALERTS.has(type) && recipient === undefined && data.session) {
      actions.security = {
        // An interrupted session is over already: nothing to terminate.
        ...(type !== 'command.block_interrupt' && { terminate: button(ACTION_IDS.terminateSession, { sessionId: data.session.id }) }),
        lock: button(ACTION_IDS.lockUser, { user: data.session.user }),
      };
    }
    const lockedUser = typeof data.details?.user === 'string' ? data.details.user : undefined;
    if (type === 'session.account_locked' && recipient === undefined && lockedUser) {
      // The lock names its user; security may undo it, or cut the session that tipped it.
      actions.security = {
        ...(data.session && { terminate: button(ACTION_IDS.terminateSession, { sessionId: data.session.id }) }),
        unlock: button(ACTION_IDS.unlockUser, { user: lockedUser }),
      };
    }
    const deviation = typeof data.details?.deviation === 'string' ? data.details.deviation : undefined;
    if (type === 'deviation.requested' && deviation !== undefined && recipient !== data.session?.user) {
      actions.deviation = { allow: button(ACTION_IDS.allowDeviation, { deviation }), deny: button(ACTION_IDS.denyDeviation, { deviation }) };
    }
    if (actions.review || actions.security || actions.deviation) view.actions = actions;

    const rendered = this.templates.render(type, view);
    return {
      content: rendered.content,
      problem: rendered.problem,
      changeVersion,
    };
  }

  private changeView(change: ChangeSummary, nameOf: (id: string) => string) {
    return {
      ...change,
      devices: [...change.devices],
      requesterName: nameOf(change.requester),
      statusLabel: change.status.replace(/_/g, ' '),
      link: this.webLinks.change(change.code),
      auditLink: this.webLinks.changeAudit(change.code),
    };
  }

  private card(change: Change, group: PolicyGroup | undefined, recipient: string | undefined, users: readonly PolicyUser[], conflicts: ChangeConflicts | undefined) {
    const nameOf = (id: string) => users.find((u) => u.id === id)?.name ?? id;
    const approvals = change.approvals.filter((a) => a.scriptHash === change.scriptHash);
    const decision = change.rejection ?? change.revocation ?? change.cancellation;
    const isApprover = recipient !== undefined && recipient !== change.requester && (group?.approvers.includes(recipient) ?? false);
    return {
      description: truncate(change.description, DESCRIPTION_CHARS),
      approvals: approvals.map((a) => ({ name: nameOf(a.approver), at: a.at.toISOString() })),
      approvalCount: approvals.length,
      needed: conflicts?.approvalsNeeded ?? Math.max(1, group?.approvals ?? 1),
      emergency: change.emergency ?? false,
      freezes: conflicts?.freezes.map((f) => ({ id: f.id, reason: f.reason, from: f.from, to: f.to, timezone: f.timezone })) ?? [],
      collisions: (conflicts?.collisions ?? []).slice(0, 5).map((c) => ({
        code: c.code,
        title: c.title,
        statusLabel: c.status.replace(/_/g, ' '),
        requesterName: nameOf(c.requester),
        devices: [...c.devices],
        windowStart: c.windowStart.toISOString(),
        windowEnd: c.windowEnd.toISOString(),
        link: this.webLinks.change(c.code),
      })),
      moreCollisions: Math.max(0, (conflicts?.collisions.length ?? 0) - 5),
      decision: decision && { name: nameOf(decision.by), at: decision.at.toISOString(), reason: decision.reason },
      script: scriptPreview(change.script),
      approveLink:
        isApprover && change.status === 'pending_approval' ? this.approvalLinks.create(change.code, recipient, this.deps.clock()) : undefined,
      forRequester: recipient === change.requester,
    };
  }
}

/** The first lines of the script, cut before escaping so no escape sequence is split. */
export function scriptPreview(script: string): { preview: string; moreLines: number } {
  const lines = script.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  const shown: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (shown.length >= PREVIEW_LINES) break;
    const cut = line.length > 200 ? `${line.slice(0, 199)}…` : line;
    if (length + cut.length > PREVIEW_CHARS && shown.length > 0) break;
    shown.push(cut);
    length += cut.length + 1;
  }
  return { preview: shown.join('\n'), moreLines: lines.length - shown.length };
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `details.user` is shown by name (`details.userName`) where the policy knows it. */
function withUserName(details: Readonly<Record<string, unknown>> | undefined, nameOf: (id: string) => string) {
  if (!details) return undefined;
  return typeof details.user === 'string' ? { ...details, userName: nameOf(details.user) } : details;
}
