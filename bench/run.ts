/**
 * `npm run bench`: every benchmark in one run on this machine, one table, and the figures
 * as JSON in bench/results/latest.json for tracking. Not part of `npm test`: timings vary
 * with load, so no test asserts them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchAuditTrail } from './auditTrail.bench.js';
import { benchCommandSearch, benchPolicyBacktest } from './commandHistory.bench.js';
import { formatTable, type BenchRow } from './lib/benchRow.js';
import { benchRuleEvaluation } from './ruleEvaluation.bench.js';
import { benchScriptAudit } from './scriptAudit.bench.js';
import { benchSessionRecording } from './sessionRecording.bench.js';
import { benchSlackAck } from './slackAck.bench.js';
import { benchSshProxy } from './sshProxy.bench.js';

const suites: [string, () => Promise<BenchRow[]>][] = [
  ['rule evaluation', benchRuleEvaluation],
  ['script audit', benchScriptAudit],
  ['audit trail', benchAuditTrail],
  ['slack ack', benchSlackAck],
  ['session recording', benchSessionRecording],
  // Fills 1,000,000 commands through the repository first: about 4 minutes.
  ['command search', () => benchCommandSearch()],
  ['policy backtest', () => benchPolicyBacktest()],
  // Needs root and Debian's openssh-server (it starts real sshd processes); about 90 s.
  ['ssh proxy', () => benchSshProxy()],
];

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const [name, run] of suites) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
  process.stderr.write(`running ${name}...\n`);
  rows.push(...(await run()));
}
process.stdout.write(`${formatTable(rows)}\n`);
const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), machine, rows }, null, 2)}\n`);
