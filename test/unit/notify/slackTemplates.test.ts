import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATION_TYPES } from '../../../src/domain/notifications/catalogue.js';
import { escapeForJsonTemplate, escapeMrkdwn, slackTextToPlain } from '../../../src/notify/slackEscape.js';
import { DEFAULT_SLACK_TEMPLATE_DIR, SlackTemplates } from '../../../src/notify/slackTemplates.js';

const HOSTILE = '<!channel> "}]}, {"type":"section" & <@U01BOB> <https://evil.example|click> \\ \n end';

/** Every field any template reads, each holding the hostile text (or a list of it). */
function hostileView(): Record<string, unknown> {
  const change = {
    code: 'CHG-1',
    title: HOSTILE,
    requester: 'alice',
    requesterName: HOSTILE,
    group: HOSTILE,
    devices: [HOSTILE, 'web02'],
    status: 'pending_approval',
    statusLabel: HOSTILE,
    windowStart: '2026-11-22T10:00:00.000Z',
    windowEnd: '2026-11-22T12:00:00.000Z',
    link: 'https://cg.example/changes/CHG-1',
    auditLink: 'https://cg.example/changes/CHG-1/audit',
  };
  return {
    timezone: 'Europe/Paris',
    change,
    actor: 'bob',
    actorName: HOSTILE,
    reason: HOSTILE,
    url: 'https://cg.example/report',
    session: { id: 'sess-1', user: 'alice', userName: HOSTILE, device: HOSTILE, clientAddress: HOSTILE, justification: HOSTILE, link: 'https://cg.example/sessions/sess-1' },
    command: { line: HOSTILE, verdict: 'block', rules: [HOSTILE], risk: 'high', reason: HOSTILE },
    details: {
      approvals: 1,
      needed: 2,
      approved: false,
      previousStatus: 'approved',
      user: 'alice',
      userName: HOSTILE,
      group: HOSTILE,
      action: 'added',
      eventType: HOSTILE,
      class: HOSTILE,
      object: HOSTILE,
      status: 'S',
      summary: HOSTILE,
      reasons: [HOSTILE, HOSTILE],
      device: HOSTILE,
      expected: HOSTILE,
      presented: HOSTILE,
      outcome: HOSTILE,
      planned: 3,
      executed: 2,
      partial: 1,
      missing: 1,
      extra: 0,
      blocked: 4,
      name: HOSTILE,
      schedule: HOSTILE,
      title: HOSTILE,
      period: HOSTILE,
      lines: [HOSTILE],
      waitingFor: HOSTILE,
      minutesLeft: 15,
      other: { code: HOSTILE, title: HOSTILE, status: 'approved', windowStart: '2026-11-22T10:00:00.000Z', windowEnd: '2026-11-22T12:00:00.000Z' },
      devices: [HOSTILE],
    },
    card: {
      description: HOSTILE,
      approvals: [{ name: HOSTILE, at: '2026-11-22T09:30:00.000Z' }],
      approvalCount: 1,
      needed: 2,
      decision: { name: HOSTILE, at: '2026-11-22T09:40:00.000Z', reason: HOSTILE },
      script: { preview: HOSTILE, moreLines: 3 },
      approveLink: 'https://cg.example/approve/abc.def',
      forRequester: false,
    },
  };
}

/** Every text Slack would read, anywhere in the message. */
function texts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value && typeof value === 'object') return Object.values(value).flatMap(texts);
  return [];
}

describe('escaping', () => {
  it('escapes Slack control characters and JSON string syntax', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
    expect(JSON.parse(`"${escapeForJsonTemplate('"}] \\ \n <x>')}"`)).toBe('"}] \\ \n &lt;x&gt;');
    expect(slackTextToPlain('a &lt;b&gt; &amp;amp; <https://x.example/a|label> <!date^1700000000^{date}|2023-11-14 22:13 UTC>')).toBe(
      'a <b> &amp; label (https://x.example/a) 2023-11-14 22:13 UTC',
    );
  });
});

describe('Slack templates', () => {
  const templates = SlackTemplates.load();

  it.each(NOTIFICATION_TYPES)('%s renders valid Block Kit that no hostile value can break or ping through', (type) => {
    for (const status of ['pending_approval', 'approved', 'rejected', 'revoked', 'cancelled', 'expired', 'completed']) {
      const view = hostileView();
      (view.change as Record<string, unknown>).status = status;
      const rendered = templates.render(type, view);
      expect(rendered.problem).toBeUndefined();
      expect(rendered.content.blocks.length).toBeGreaterThan(0);
      for (const text of [rendered.content.text, ...texts(rendered.content.blocks)]) {
        expect(text).not.toContain('<!channel>');
        expect(text).not.toContain('<@U01BOB>');
        expect(text).not.toContain('<https://evil.example');
      }
      // The hostile value never left its string: the message has the shape a harmless one has.
      const harmless = templates.render(type, JSON.parse(JSON.stringify(view).replaceAll(JSON.stringify(HOSTILE).slice(1, -1), 'plain')) as Record<string, unknown>);
      expect(rendered.content.blocks.map((b) => Object.keys(b).sort())).toEqual(harmless.content.blocks.map((b) => Object.keys(b).sort()));
      expect(texts(rendered.content.blocks).length).toBe(texts(harmless.content.blocks).length);
    }
  });

  it('shows dates in the reader’s time zone with the policy’s as fallback, and links with their labels', () => {
    const rendered = templates.render('window.opened', hostileView());
    const text = texts(rendered.content.blocks).join('\n');
    const due = Date.parse('2026-11-22T12:00:00.000Z') / 1000;
    expect(text).toContain(`<!date^${due}^{date_short_pretty} {time}|2026-11-22 13:00 Europe/Paris>`);
    expect(text).toContain('<https://cg.example/changes/CHG-1|CHG-1>');
  });

  describe('edited by an admin', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'cg-templates-'));
      cpSync(DEFAULT_SLACK_TEMPLATE_DIR, dir, { recursive: true });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('uses the new wording, still escaped', () => {
      writeFileSync(join(dir, 'command.block.hbs'), '{ "text": "Stopped: {{command.line}}", "blocks": [ { "type": "section", "text": { "type": "mrkdwn", "text": "Nope: {{command.line}}" } } ] }');
      const rendered = SlackTemplates.load(dir).render('command.block', hostileView());
      expect(rendered.problem).toBeUndefined();
      expect(rendered.content.text.startsWith('Stopped: &lt;!channel&gt; "}]}')).toBe(true);
    });

    it('falls back to built-in wording when the output is not JSON, and says why', () => {
      writeFileSync(join(dir, 'command.block.hbs'), '{ "text": "oops", "blocks": [ { "type": "section" }, ] }');
      const rendered = SlackTemplates.load(dir).render('command.block', hostileView());
      expect(rendered.problem).toMatch(/did not produce JSON/);
      expect(rendered.content.text).toContain('Command detected - Block: CHG-1 - &lt;!channel&gt;');
      expect(texts(rendered.content.blocks).join()).not.toContain('<!channel>');
    });

    it('refuses to start with a template missing or unparsable, naming the file', () => {
      writeFileSync(join(dir, 'command.block.hbs'), '{{#if x}}unclosed');
      expect(() => SlackTemplates.load(dir)).toThrow(/command\.block\.hbs is not valid handlebars/);
      rmSync(join(dir, 'command.block.hbs'));
      expect(() => SlackTemplates.load(dir)).toThrow(/Slack template for command.block cannot be read/);
    });
  });

  it('has a template file for every notification type and no other', () => {
    for (const type of NOTIFICATION_TYPES) expect(readFileSync(join(DEFAULT_SLACK_TEMPLATE_DIR, `${type}.hbs`), 'utf8').length).toBeGreaterThan(0);
  });
});
