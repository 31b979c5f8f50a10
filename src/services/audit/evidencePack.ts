import type { AuditRecord } from '../../domain/audit/auditRecord.js';
import type { ChainVerification } from '../../domain/audit/verifyChain.js';
import type { Approval, Decision } from '../../domain/change/change.js';
import type { PolicyUser } from '../../domain/policy/policy.js';
import type { ScriptAudit } from '../../domain/scriptAudit/scriptAudit.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { Session } from '../../domain/session/session.js';
import type { Actor } from '../actor.js';
import { loadChangeFor } from '../access/changeAccess.js';
import { computeChangeAudit } from '../changes/changeAudit.js';
import type { ServiceDeps } from '../serviceDeps.js';

export const EVIDENCE_PACK_FORMAT = 'changeguard-evidence-pack/1';

/** Everything an auditor needs to judge one change, in one document. */
export interface EvidencePack {
  readonly format: typeof EVIDENCE_PACK_FORMAT;
  readonly generatedAt: Date;
  readonly generatedBy: string;
  readonly change: {
    readonly code: string;
    readonly title: string;
    readonly description: string;
    readonly requester: string;
    readonly group: string;
    readonly devices: readonly string[];
    readonly windowStart: Date;
    readonly windowEnd: Date;
    readonly status: string;
    readonly outcome: string | undefined;
    readonly createdAt: Date;
  };
  readonly approvals: readonly Approval[];
  readonly decisions: { readonly rejection?: Decision | undefined; readonly revocation?: Decision | undefined; readonly cancellation?: Decision | undefined };
  readonly script: { readonly text: string; readonly hash: string };
  readonly scriptAudit: ScriptAudit;
  readonly sessions: readonly Session[];
  readonly commands: readonly CommandRecord[];
  /** The change's audit records with their chain hashes, in sequence order. */
  readonly auditRecords: readonly AuditRecord[];
  /** The whole trail verified when the pack was made: the records above belong to an intact chain. */
  readonly chain: ChainVerification;
}

/** Builds a change's evidence pack for someone allowed to see the change; the export is audited. */
export async function buildEvidencePack(deps: ServiceDeps, user: PolicyUser, actor: Actor, code: string): Promise<EvidencePack> {
  const { change } = await loadChangeFor(deps, user, code);
  const report = await computeChangeAudit(deps, change.code);
  const records: AuditRecord[] = [];
  for await (const record of deps.store.audit.iterate({ change: change.code })) records.push(record);
  const chain = await deps.audit.verify();
  const pack: EvidencePack = {
    format: EVIDENCE_PACK_FORMAT,
    generatedAt: deps.clock(),
    generatedBy: user.id,
    change: {
      code: change.code,
      title: change.title,
      description: change.description,
      requester: change.requester,
      group: change.group,
      devices: change.devices,
      windowStart: change.windowStart,
      windowEnd: change.windowEnd,
      status: change.status,
      outcome: change.outcome ?? (change.status === 'in_progress' ? undefined : report.audit.outcome),
      createdAt: change.createdAt,
    },
    approvals: change.approvals,
    decisions: { rejection: change.rejection, revocation: change.revocation, cancellation: change.cancellation },
    script: { text: change.script, hash: change.scriptHash },
    scriptAudit: report.audit,
    sessions: report.sessions,
    commands: report.commands,
    auditRecords: records,
    chain,
  };
  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'EXPORT',
    class: 'CHANGE',
    object: change.code,
    change: change.code,
    details: `evidence pack: ${records.length} audit records, ${report.sessions.length} sessions, ${report.commands.length} commands`,
  });
  return pack;
}
