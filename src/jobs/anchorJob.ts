import { postAuditAnchor } from '../services/audit/postAuditAnchor.js';
import { settle, type JobContext } from './changeJobs.js';
import { jobBackoff } from './jobRetry.js';

export const AUDIT_ANCHOR_JOB = 'audit-anchor';

/** One repeating job for the whole deployment: the audit chain's head to the audit channel. */
export function defineAnchorJob(context: JobContext): void {
  context.agenda.define(
    AUDIT_ANCHOR_JOB,
    async (job) => {
      const result = await postAuditAnchor(context.deps, context.notifier);
      await settle(context, job, result, { job: AUDIT_ANCHOR_JOB });
    },
    { backoff: jobBackoff(context.settings.retry), lockLifetime: Math.max(15 * 60_000, context.settings.lockLifetimeMs) },
  );
}

/** `every` keeps one job of the name (a single job), so each start re-applies the interval. */
export async function planAnchorJob(context: JobContext): Promise<void> {
  await context.agenda.every(context.settings.anchorEveryMs, AUDIT_ANCHOR_JOB, undefined, { skipImmediate: true });
}
