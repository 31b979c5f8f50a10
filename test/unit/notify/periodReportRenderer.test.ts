import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPORT_TEMPLATE_DIR, PeriodReportRenderer } from '../../../src/notify/periodReportRenderer.js';
import type { PeriodReport } from '../../../src/services/reports/periodReport.js';

function buildReport(overrides: Partial<PeriodReport> = {}): PeriodReport {
  return {
    since: new Date('2026-11-22T07:00:00Z'),
    until: new Date('2026-11-23T07:00:00Z'),
    generatedAt: new Date('2026-11-23T07:00:01Z'),
    changes: {
      total: 1,
      byStatus: { completed: 1 },
      byOutcome: { completed_with_extras: 1 },
      list: [{ code: 'CHG-7', title: 'Fix <script>alert(1)</script> & "quotes" *now*', requester: 'alice', status: 'completed', outcome: 'completed_with_extras' }],
    },
    commands: { total: 4, blocked: 2, interrupted: 1, refusalsByRule: [{ rule: 'no-rm', count: 2 }], refusalsByUser: [{ user: 'alice', blocked: 2, interrupted: 1 }] },
    sessions: { total: 1, highRisk: [{ id: 's1', change: 'CHG-7', user: 'alice', device: 'web01', reasons: ['interrupted by a rule'] }], endedAbnormally: 0 },
    lockedUsers: [{ user: 'mallory', at: new Date('2026-11-22T12:00:00Z'), reason: 'tried <b>rm</b>', by: 'sam' }],
    chain: { ok: true, count: 42, head: null },
    ...overrides,
  };
}

const presentation = { title: 'Daily report ops', timezone: 'Europe/Paris' };

describe('period report rendering', () => {
  it('renders Block Kit JSON with user values escaped for Slack and JSON', () => {
    const slack = PeriodReportRenderer.load().slack(buildReport(), presentation);
    expect(slack.periodLabel).toBe('22 Nov 2026, 08:00 to 23 Nov 2026, 08:00 (Europe/Paris)');
    expect(slack.text).toBe(`Daily report ops: ${slack.periodLabel}`);
    expect(slack.lines).toEqual([
      'Changes: 1 (completed 1)',
      'Commands judged: 4, blocked 2, interrupted 1',
      'High-risk sessions: 1 of 1',
      'Locked users: mallory',
      'Audit chain: intact (42 records)',
    ]);
    const body = JSON.stringify(slack.blocks);
    expect(body).toContain('Fix &lt;script&gt;alert(1)&lt;/script&gt; &amp; \\"quotes\\"');
    expect(body).not.toContain('<script>');
    expect(body).toContain('tried &lt;b&gt;rm&lt;/b&gt;');
    expect(body).toContain('`no-rm` 2');
  });

  it('says when the audit chain is broken', () => {
    const slack = PeriodReportRenderer.load().slack(
      buildReport({ chain: { ok: false, count: 10, firstBad: 7, problem: 'edited', message: 'record 7 was altered' } }),
      presentation,
    );
    expect(slack.lines.at(-1)).toBe('Audit chain: BROKEN: record 7 was altered');
    expect(JSON.stringify(slack.blocks)).toContain(':rotating_light: *Audit chain broken:* record 7 was altered');
  });

  it('cuts long lists in Slack and says how many were left out, but prints them all in HTML', () => {
    const list = Array.from({ length: 25 }, (_, i) => ({ code: `CHG-${i}`, title: `change ${i}`, requester: 'alice', status: 'completed' as const, outcome: undefined }));
    const report = buildReport({ changes: { total: 25, byStatus: { completed: 25 }, byOutcome: {}, list } });
    const renderer = PeriodReportRenderer.load();
    const slack = JSON.stringify(renderer.slack(report, presentation).blocks);
    expect(slack).toContain('CHG-9 change 9');
    expect(slack).not.toContain('CHG-10 ');
    expect(slack).toContain('…and 15 more');
    const html = renderer.html(report, presentation);
    expect(html.match(/<td>CHG-\d+<\/td><td>change/g)).toHaveLength(25);
  });

  it('prints an HTML page with values HTML-escaped', () => {
    const html = PeriodReportRenderer.load().html(buildReport(), presentation);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>Daily report ops</title>');
    expect(html).toContain('Fix &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('@media print');
    expect(html).toContain('Intact: 42 records verified.');
  });

  it('names the template when an edit breaks its JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'changeguard-templates-'));
    try {
      copyFileSync(join(DEFAULT_REPORT_TEMPLATE_DIR, 'periodReport.html.hbs'), join(dir, 'periodReport.html.hbs'));
      writeFileSync(join(dir, 'periodReport.slack.hbs'), '{ "text": "{{title}}", "blocks": [ }');
      expect(() => PeriodReportRenderer.load(dir).slack(buildReport(), presentation)).toThrow(/periodReport\.slack\.hbs did not produce JSON/);
      expect(() => PeriodReportRenderer.load(join(dir, 'missing'))).toThrow(/cannot be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
