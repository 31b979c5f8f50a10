import { isAllowed } from '../../domain/access/authorisation.js';
import type { PolicyUser } from '../../domain/policy/policy.js';
import type { Actor } from '../actor.js';
import { requireRole } from '../policy/requireRole.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { buildPeriodReport, type PeriodReport } from './periodReport.js';

/** Who may read period reports, in Slack (`/change report`) and on the web (`/reports`): the authorisation table's `report.view`. */
export function mayReadReports(user: PolicyUser): boolean {
  return isAllowed('report.view', { kind: 'user', user });
}

/** The period report for someone allowed to read it; a refusal is audited (REPORT, status D). */
export async function readPeriodReport(deps: ServiceDeps, actor: Actor, period: { since: Date; until: Date }): Promise<PeriodReport> {
  await requireRole(deps, actor, 'report.view', { eventType: 'REPORT', class: 'AUDIT' });
  return buildPeriodReport(deps, period);
}

export type ReportExportFormat = 'html' | 'json';

/** A report taken away (printed or downloaded) goes on record first, as audit trail exports do. */
export async function exportPeriodReport(
  deps: ServiceDeps,
  actor: Actor,
  period: { since: Date; until: Date },
  format: ReportExportFormat,
): Promise<PeriodReport> {
  const report = await readPeriodReport(deps, actor, period);
  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'EXPORT',
    class: 'AUDIT',
    details: `period report as ${format} (${period.since.toISOString()} to ${period.until.toISOString()})`,
  });
  return report;
}
