import { describe, expect, it } from 'vitest';
import { auditScript, plannedScriptLines, type ExecutedLine, type PlannedLine } from '../../../src/domain/scriptAudit/scriptAudit.js';
import type { Verdict } from '../../../src/domain/rules/verdict.js';
import { T0 } from '../../support/factories.js';

function plan(...lines: string[][]): PlannedLine[] {
  return lines.map((commands, i) => ({ lineNo: i + 1, text: commands.join(' && '), commands }));
}

let counter = 0;
function ran(commands: string[], verdict: Verdict = 'allow'): ExecutedLine {
  counter++;
  return { ref: `c${counter}`, sessionId: 's1', at: new Date(T0.getTime() + counter * 1000), line: commands.join(' && '), commands, verdict };
}

describe('script audit', () => {
  it('is completed when everything planned ran and nothing else', () => {
    const result = auditScript(plan(['apt-get update'], ['systemctl restart nginx']), [ran(['apt-get update']), ran(['systemctl restart nginx'])]);
    expect(result.outcome).toBe('completed');
    expect(result.planned.map((p) => p.status)).toEqual(['executed', 'executed']);
    expect(result.counts).toMatchObject({ planned: 2, executed: 2, missing: 0, extra: 0, blocked: 0 });
  });

  it('is completed_with_extras when unplanned commands ran (green)', () => {
    const result = auditScript(plan(['systemctl restart nginx']), [ran(['ls -la']), ran(['systemctl restart nginx']), ran(['cat /etc/hosts'])]);
    expect(result.outcome).toBe('completed_with_extras');
    expect(result.executed.map((e) => e.status)).toEqual(['extra', 'planned', 'extra']);
    expect(result.counts.extra).toBe(2);
  });

  it('is incomplete when a planned command never ran (red)', () => {
    const result = auditScript(plan(['a'], ['b'], ['c']), [ran(['a']), ran(['c'])]);
    expect(result.outcome).toBe('incomplete');
    expect(result.planned.map((p) => p.status)).toEqual(['executed', 'missing', 'executed']);
    expect(result.counts.missing).toBe(1);
  });

  it('is not_started when nothing ran', () => {
    expect(auditScript(plan(['a']), []).outcome).toBe('not_started');
    expect(auditScript(plan(['a']), [ran(['a'], 'block')]).outcome).toBe('not_started');
  });

  it('lists blocked attempts apart and never counts them as executed', () => {
    const result = auditScript(plan(['rm -rf /tmp/cache']), [ran(['rm -rf /tmp/cache'], 'block'), ran(['reboot'], 'interrupt')]);
    expect(result.blocked.map((b) => b.line)).toEqual(['rm -rf /tmp/cache', 'reboot']);
    expect(result.planned[0]?.status).toBe('missing');
  });

  it('matches commands run out of order and flags them', () => {
    const result = auditScript(plan(['a'], ['b']), [ran(['b']), ran(['a'])]);
    expect(result.outcome).toBe('completed');
    expect(result.planned.filter((p) => p.outOfOrder)).toHaveLength(1);
  });

  it('compares command by command: a planned list typed as separate lines still counts', () => {
    const result = auditScript(plan(['cd /srv/app', 'make install']), [ran(['cd /srv/app']), ran(['make install'])]);
    expect(result.outcome).toBe('completed');
    expect(result.planned[0]?.executedRefs).toHaveLength(2);
  });

  it('marks a planned line partial when only part of it ran', () => {
    const result = auditScript(plan(['cd /srv/app', 'make install']), [ran(['cd /srv/app'])]);
    expect(result.planned[0]?.status).toBe('partial');
    expect(result.outcome).toBe('incomplete');
  });

  it('counts a repeated planned command once per run', () => {
    const result = auditScript(plan(['a'], ['a']), [ran(['a'])]);
    expect(result.planned.map((p) => p.status)).toEqual(['executed', 'missing']);
  });

  it('handles a 10,000-line script', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => [`echo step-${i}`]);
    const executed = lines.filter((_, i) => i !== 42).map((commands) => ran(commands));
    const result = auditScript(plan(...lines), executed);
    expect(result.counts).toMatchObject({ planned: 10_000, executed: 9_999, missing: 1 });
  });

  it('ignores blank lines and comments in the planned script', () => {
    expect(plannedScriptLines('# prepare\n\napt-get update\r\n  # done\nreboot\n')).toEqual([
      { lineNo: 3, text: 'apt-get update' },
      { lineNo: 5, text: 'reboot' },
    ]);
  });
});
