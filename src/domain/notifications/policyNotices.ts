import type { ApproverChange } from '../policy/approverChanges.js';
import { AUDIT, approverManagementAudience } from './audiences.js';
import type { Notification } from './catalogue.js';

/** A policy import with hundreds of changes still makes one readable message. */
const MAX_LINES = 20;

/**
 * Audit Trail and Approver management: a policy import that changed users, groups, devices,
 * rules, channels or settings is announced to the audit channel, and each person who became
 * (or stopped being) an approver to the approvals channel and by DM.
 */
export function policyImportNotices(actor: string, source: string, lines: readonly string[], approverChanges: readonly ApproverChange[], importId: string): Notification[] {
  const shown = lines.slice(0, MAX_LINES);
  const more = lines.length - shown.length;
  return [
    {
      type: 'audit.trail',
      audience: [AUDIT],
      data: {
        actor,
        details: {
          eventType: 'IMPORT',
          class: 'POLICY',
          object: source,
          status: 'S',
          summary: [...shown, ...(more > 0 ? [`... and ${more} more (see the audit trail)`] : [])].join('\n'),
        },
      },
      dedupeKey: `policy.import:${importId}`,
    },
    ...approverChanges.map(
      (change): Notification => ({
        type: 'access.approver_management',
        audience: approverManagementAudience(change.user),
        data: { actor, details: { user: change.user, group: change.group, action: change.action } },
        dedupeKey: `policy.import:${importId}:approver:${change.group}:${change.user}:${change.action}`,
      }),
    ),
  ];
}
