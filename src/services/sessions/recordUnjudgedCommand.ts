import { UNJUDGED_RULE_ID } from '../../domain/rules/verdict.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { Judgement } from './judgeCommand.js';
import type { LiveSession } from './liveSession.js';
import type { SessionAlerts } from './sessionAlerts.js';
import { storeCommandRecord } from './storeCommandRecord.js';
import { newCommandRecord } from './newCommandRecord.js';

/**
 * The device's shell was about to run a command the judged line did not contain (code reached
 * through arithmetic evaluation, eval of a computed string, a function or trap from elsewhere):
 * its run-time check refused it (`settings.opaque: block`) or let it run as opaque (`allow`).
 * Either way it is recorded, audited and raised to security at high criticality.
 */
export async function recordUnjudgedCommand(
  deps: ServiceDeps,
  alerts: SessionAlerts,
  live: LiveSession,
  text: string,
  ran: boolean,
): Promise<void> {
  const { session } = live.scope;
  const reason = ran
    ? 'the device shell ran a command the judged line did not contain (opaque commands are allowed)'
    : 'the device shell was about to run a command the judged line did not contain: changeguard refused it';
  const record = newCommandRecord(deps, session, {
    source: 'shell',
    line: text,
    commands: [text],
    effective: ran ? [text] : [],
    verdict: ran ? 'allow' : 'block',
    ruleIds: [UNJUDGED_RULE_ID],
    risk: 'high',
    reason,
  });
  await storeCommandRecord(deps, session, record, `${record.verdict} by ${UNJUDGED_RULE_ID}`);
  const judgement: Judgement = {
    verdict: record.verdict,
    evaluation: { line: text, verdict: record.verdict, ruleIds: record.ruleIds, matchedRules: [], risk: 'high', commands: [], reason, tampering: false, reviewRuleIds: [] },
    record,
    lockedBy: undefined,
    message: reason,
  };
  alerts.commandJudged(live.change, session, judgement);
}
