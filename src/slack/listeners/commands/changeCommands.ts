import { changeRightsOf } from '../../../domain/access/portalRoles.js';
import { isValidChangeCode, normaliseChangeCode } from '../../../domain/change/changeCode.js';
import { cancelChange, revokeChange } from '../../../services/changes/reviewChange.js';
import { computeChangeAudit } from '../../../services/changes/changeAudit.js';
import { listMyChanges } from '../../../services/changes/listChanges.js';
import { validateChange } from '../../../services/changes/validateChange.js';
import { viewChange } from '../../../services/changes/viewChange.js';
import { escapeMrkdwn } from '../../../notify/slackEscape.js';
import type { SlackAnswer } from '../../../notify/slackTemplates.js';
import { auditSummaryView, changeDetailsView, changeListView, validationView } from '../../answerViews.js';
import type { CommandRequest } from './commandRequest.js';

/** The change code argument, or null after telling the user how to give one. */
async function codeArgument(request: CommandRequest, usage: string): Promise<string | null> {
  const raw = request.args[0];
  if (raw === undefined) {
    await request.reply({ text: `Usage: \`${usage}\`` });
    return null;
  }
  const code = normaliseChangeCode(raw);
  if (!isValidChangeCode(code)) {
    await request.reply({ text: `"${escapeMrkdwn(raw.slice(0, 50))}" is not a change code (like CHG-42). Usage: \`${usage}\`` });
    return null;
  }
  return code;
}

async function nameResolver(request: CommandRequest): Promise<(id: string) => string> {
  const { policy } = await request.context.deps.policies.current();
  return (id) => policy.users.find((u) => u.id === id)?.name ?? id;
}

async function timezoneOf(request: CommandRequest): Promise<string> {
  return (await request.context.deps.policies.current()).policy.settings.timezone;
}

/** Answers with a template (templates/slack/answers/): its blocks, and `text` when given. */
export async function answerWith(request: CommandRequest, name: SlackAnswer, view: Readonly<Record<string, unknown>>, text?: string): Promise<void> {
  const rendered = request.context.templates.renderAnswer(name, view);
  if (rendered.problem) request.context.logger.error({ answer: name, problem: rendered.problem }, 'Slack answer template problem');
  await request.reply({ text: text ?? rendered.content.text, blocks: rendered.content.blocks as never });
}

export async function listChanges(request: CommandRequest): Promise<void> {
  const mine = await listMyChanges(request.context.deps, request.who.user.id);
  await answerWith(request, 'changeList', changeListView(mine, request.context.webLinks, await timezoneOf(request)), `${mine.open.length} open, ${mine.awaitingMyApproval.length} waiting for your approval`);
}

export async function showChange(request: CommandRequest): Promise<void> {
  const code = await codeArgument(request, '/change show CHG-42');
  if (!code) return;
  const { deps, approvalLinks } = request.context;
  const change = await viewChange(deps, code, request.who.actor);
  const group = await deps.policies.group(change.group);
  const me = request.who.user.id;
  // The same rule as the web page and the approvals list: the authorisation table, and not approved by me yet.
  const mayApprove = changeRightsOf(request.who.user, change, group).approve;
  await answerWith(
    request,
    'changeDetails',
    changeDetailsView(change, {
      links: request.context.webLinks,
      nameOf: await nameResolver(request),
      approveLink: mayApprove ? approvalLinks.create(change.code, me, deps.clock()) : undefined,
      timezone: await timezoneOf(request),
    }),
    `${change.code}: ${change.title}`,
  );
}

export async function cancelOwnChange(request: CommandRequest): Promise<void> {
  const code = await codeArgument(request, '/change cancel CHG-42 [reason]');
  if (!code) return;
  const reason = request.rest.replace(/^\S+\s*/, '').trim();
  const change = await cancelChange(request.context.deps, code, request.who.actor, reason);
  await request.reply({ text: `${change.code} is cancelled.` });
}

export async function revokeApprovedChange(request: CommandRequest): Promise<void> {
  const code = await codeArgument(request, '/change revoke CHG-42 <reason>');
  if (!code) return;
  const reason = request.rest.replace(/^\S+\s*/, '').trim();
  if (!reason) {
    await request.reply({ text: 'A revocation needs a reason: `/change revoke CHG-42 <reason>`' });
    return;
  }
  const change = await revokeChange(request.context.deps, code, request.who.actor, reason);
  await request.reply({ text: `${change.code} is revoked; its live sessions are being closed.` });
}

export async function validateScript(request: CommandRequest): Promise<void> {
  const code = await codeArgument(request, '/change validate CHG-42');
  if (!code) return;
  const validation = await validateChange(request.context.deps, code, request.who.actor);
  await answerWith(request, 'validation', validationView(validation, request.context.webLinks), `${validation.change.code}: ${validation.findings.length} script lines would be stopped`);
}

export async function summariseAudit(request: CommandRequest): Promise<void> {
  const code = await codeArgument(request, '/change audit CHG-42');
  if (!code) return;
  const { deps } = request.context;
  await viewChange(deps, code, request.who.actor);
  const report = await computeChangeAudit(deps, code);
  await answerWith(request, 'auditSummary', auditSummaryView(report, request.context.webLinks, await nameResolver(request), await timezoneOf(request)), `${report.change.code}: ${report.change.outcome ?? report.audit.outcome}`);
}
