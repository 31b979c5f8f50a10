import type { Change } from '../../domain/change/change.js';
import { assessChangeRisk, riskAtLeast, type ChangeRiskAssessment } from '../../domain/change/changeRisk.js';
import type { Risk } from '../../domain/policy/policy.js';
import type { ServiceDeps } from '../serviceDeps.js';

export interface WebApprovalRequirement extends ChangeRiskAssessment {
  /** True when only an approver signed in on the web page may approve this change. */
  readonly required: boolean;
  /** The policy's `settings.requireWebApproval`, if set. */
  readonly threshold: Risk | undefined;
}

/**
 * Whether a change is risky enough that a Slack button cannot approve it (policy setting
 * `requireWebApproval`). Adapters ask it to offer the web link instead of a button; the
 * approval service enforces it whatever the adapter shows.
 */
export async function webApprovalRequirement(
  deps: Pick<ServiceDeps, 'policies' | 'parser'>,
  change: Pick<Change, 'script' | 'requester' | 'group' | 'devices'>,
): Promise<WebApprovalRequirement> {
  const snapshot = await deps.policies.current();
  const assessment = assessChangeRisk(change, snapshot.rules, deps.parser, { opaque: snapshot.policy.settings.opaque });
  const threshold = snapshot.policy.settings.requireWebApproval;
  return { ...assessment, threshold, required: threshold !== undefined && riskAtLeast(assessment.risk, threshold) };
}
