import { BacktestTally, type BacktestReport, type DraftJudgement } from '../../domain/backtest/backtestReport.js';
import type { PolicySettings } from '../../domain/policy/policy.js';
import { evaluateLine } from '../../domain/rules/evaluateLine.js';
import { resolveInterrupt } from '../../domain/rules/interruptAttempts.js';
import { RuleSet } from '../../domain/rules/ruleSet.js';
import { OPAQUE_RULE_ID, TRANSFER_RULE_ID } from '../../domain/rules/verdict.js';
import { transferServer } from '../../domain/shell/fileTransfer.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { readsCommandsFromConnection } from '../../domain/session/execInput.js';
import type { ShellParser } from '../../domain/shell/shellParser.js';
import type { Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import { readPolicyDraft } from './policyImport.js';

/** Far above a month of a busy site (the load test records ~190 commands/s at its peak); a longer range is judged up to here and says so. */
export const MAX_BACKTEST_COMMANDS = 2_000_000;
const SCAN_BATCH = 2000;

export interface BacktestRequest {
  /** The draft policy file's bytes (or text), parsed and checked as an import would. */
  readonly text: string | Uint8Array;
  /** Its name, for error messages and the audit record. */
  readonly source: string;
  readonly since: Date;
  readonly until: Date;
}

export interface PolicyBacktest extends BacktestReport {
  readonly source: string;
  readonly since: Date;
  readonly until: Date;
  /** True when the range held more than MAX_BACKTEST_COMMANDS: only the oldest were judged. */
  readonly truncated: boolean;
  /** Rules of the draft (after import's merge with the stored sections it leaves out). */
  readonly rules: number;
  readonly elapsedMs: number;
}

/**
 * Judges the commands recorded between `since` and `until` again, under a draft policy, with
 * the proxy's own engine and context (the session's user and device, its change's access
 * group, interrupt attempts counted per session in the order they were made), and reports
 * which verdicts would change. Reads the draft as an import does and writes nothing but one
 * audit record (BACKTEST, class POLICY). Auditors, security and admins, or an operator
 * holding the store (the CLI).
 */
export async function backtestPolicy(deps: ServiceDeps, actor: Actor, request: BacktestRequest): Promise<PolicyBacktest> {
  await authorise(deps, actor, 'policy.backtest', {}, { eventType: 'BACKTEST', class: 'POLICY', object: request.source });
  if (request.until.getTime() <= request.since.getTime()) throw new ServiceError('invalid', 'until: must be after since', { until: 'must be after since' });
  const started = process.hrtime.bigint();
  const { next } = await readPolicyDraft(deps, request.text, request.source);
  const rules = RuleSet.compile(next.rules);
  const judge = draftJudge(deps.parser, rules, next.settings);
  const groups = new Map<string, string | undefined>();
  const tally = new BacktestTally();
  let judged = 0;
  let truncated = false;
  scan: for await (const batch of deps.store.commands.scan({ since: request.since, until: request.until, batchSize: SCAN_BATCH })) {
    for (const record of batch) {
      if (judged >= MAX_BACKTEST_COMMANDS) {
        truncated = true;
        break scan;
      }
      if (!groups.has(record.changeCode)) groups.set(record.changeCode, (await deps.store.changes.findByCode(record.changeCode))?.group);
      tally.add(record, judge(record, groups.get(record.changeCode)));
      judged++;
    }
  }
  const report = tally.report();
  const { newly_blocked, newly_allowed, changed } = report.counts;
  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'BACKTEST',
    class: 'POLICY',
    object: request.source,
    details:
      `draft ${request.source} against ${report.judged} commands from ${request.since.toISOString()} to ${request.until.toISOString()}` +
      `${truncated ? ' (truncated)' : ''}: ${newly_blocked} newly blocked, ${newly_allowed} newly allowed, ${changed} changed`,
  });
  return {
    ...report,
    source: request.source,
    since: request.since,
    until: request.until,
    truncated,
    rules: next.rules.length,
    elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
  };
}

/**
 * What the proxy would decide for a recorded line under these rules: exec commands that
 * would read a shell from the connection are refused whatever the rules say, and file
 * transfers (`scp -t`, `rsync --server`) unless the draft's settings.fileTransfer allows them,
 * as judgeExecCommand does; every other line is judged by evaluateLine in the session's
 * context, and an interrupt rule blocks until its N-th attempt in that session (attempts
 * counted in recorded order).
 */
function draftJudge(
  parser: ShellParser,
  rules: RuleSet,
  settings: Pick<PolicySettings, 'opaque' | 'fileTransfer'>,
): (record: CommandRecord, group: string | undefined) => DraftJudgement {
  const attempts = new Map<string, ReadonlyMap<string, number>>();
  const none: ReadonlyMap<string, number> = new Map();
  return (record, group) => {
    const parsed = parser.parse(record.line);
    if (record.source === 'exec') {
      const shell = parsed.commands.find(readsCommandsFromConnection);
      if (shell) return { verdict: 'block', ruleIds: [OPAQUE_RULE_ID], reason: `"${shell.text}" would read commands from the connection` };
      const transfer = transferServer(parsed);
      if (transfer !== undefined && settings.fileTransfer !== 'allow') {
        return { verdict: 'block', ruleIds: [TRANSFER_RULE_ID], reason: `file transfer (${transfer.program}) is off in this policy (settings.fileTransfer)` };
      }
    }
    const evaluation = evaluateLine(rules.forContext({ user: record.user, group, device: record.device }), parsed, { opaque: settings.opaque });
    const resolution = resolveInterrupt(evaluation, attempts.get(record.sessionId) ?? none);
    if (resolution.attempts.size > 0) attempts.set(record.sessionId, resolution.attempts);
    return { verdict: resolution.verdict, ruleIds: evaluation.ruleIds, reason: evaluation.reason };
  };
}
