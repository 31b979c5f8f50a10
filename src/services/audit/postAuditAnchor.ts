import { formatAnchor } from '../../domain/audit/verifyChain.js';
import { AUDIT } from '../../domain/notifications/audiences.js';
import { DONE, skipped, type TimedStepResult } from '../changes/timedStepResult.js';
import type { Notifier } from '../notifications/notifier.js';
import type { ServiceDeps } from '../serviceDeps.js';

/**
 * Posts the audit chain's head (record number and hash) to the audit channel, once per head:
 * Slack keeps it where whoever can rewrite the store cannot. `changeguard audit verify
 * --expect-head SEQ:HASH` with any posted anchor then catches a tail cut together with a
 * head rewound to match. The chain is verified first, so an anchor never vouches for a
 * broken trail (a broken one is posted as such).
 */
export async function postAuditAnchor(deps: ServiceDeps, notifier: Notifier): Promise<TimedStepResult> {
  const head = await deps.store.audit.head();
  if (!head) return skipped('the audit trail is empty');
  const verification = await deps.audit.verify();
  await notifier.notify({
    type: 'audit.anchor',
    audience: [AUDIT],
    data: {
      details: {
        seq: head.seq,
        hash: head.hash,
        anchor: formatAnchor(head),
        count: verification.count,
        intact: verification.ok,
        problem: verification.ok ? undefined : verification.message,
        verifiedAt: deps.clock().toISOString(),
      },
    },
    dedupeKey: `audit.anchor:${formatAnchor(head)}`,
  });
  return DONE;
}
