import { diffArrays } from 'diff';
import { auditScript } from '../src/domain/scriptAudit/scriptAudit.js';
import type { BenchRow } from './lib/benchRow.js';

/**
 * Aligning a 10,000-line plan with a session that ran nearly all of it, plus extras. The
 * baseline is the diff library alone on the two command lists: what the audit adds to it
 * (per-line grouping, the out-of-order pass, blocked commands apart) is the ratio.
 */
export async function benchScriptAudit(): Promise<BenchRow[]> {
  const planned = Array.from({ length: 10_000 }, (_, i) => ({ lineNo: i + 1, text: `step ${i}`, commands: [`deploy --step ${i}`] }));
  const executed = planned
    .filter((_, i) => i % 97 !== 0)
    .flatMap((p, i) => {
      const ran = { ref: `r${i}`, sessionId: 's', at: new Date(0), line: p.text, commands: p.commands, verdict: 'allow' as const };
      return i % 50 === 0 ? [ran, { ...ran, ref: `x${i}`, commands: [`ls /tmp/${i}`] }] : [ran];
    });
  const plannedCommands = planned.flatMap((p) => p.commands);
  const executedCommands = executed.flatMap((e) => e.commands);
  auditScript(planned.slice(0, 1000), executed.slice(0, 1000));
  diffArrays(plannedCommands.slice(0, 1000), executedCommands.slice(0, 1000));
  return [
    {
      area: 'script audit',
      metric: '10,000-line script, median of 5',
      value: medianMs(() => auditScript(planned, executed)),
      unit: 'ms',
      baseline: { name: 'jsdiff diffArrays alone', value: medianMs(() => diffArrays(plannedCommands, executedCommands)) },
    },
  ];
}

function medianMs(run: () => unknown): number {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    run();
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return runs.sort((a, b) => a - b)[2]!;
}
