import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPolicy, PolicyValidationError } from '../../../src/services/policy/policyImport.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { webApprovalRequirement } from '../../../src/services/changes/webApprovalRequirement.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/policy/policy.js';
import { summariseChange } from '../../../src/domain/notifications/catalogue.js';
import { NotificationRenderer } from '../../../src/notify/notificationRenderer.js';
import { SlackTemplates } from '../../../src/notify/slackTemplates.js';
import { WebLinks } from '../../../src/notify/webLinks.js';
import { ApprovalLinks } from '../../../src/services/links/approvalLinks.js';
import { buildChange, buildPolicy, buildRule } from '../../support/factories.js';
import { serviceHarness } from '../../support/serviceHarness.js';

const rules = [
  buildRule({ id: 'no-recursive-rm', command: ['rm'], pattern: '(^|\\s)-\\w*[rR]', risk: 'high' }),
  buildRule({ id: 'restarts', pattern: '^systemctl\\s+restart', action: 'allow', risk: 'medium', scope: { devices: ['web02'] } }),
];

let store: SqliteStore;
let deps: ServiceDeps;

async function withSetting(requireWebApproval: 'high' | 'medium' | undefined) {
  store = SqliteStore.open(':memory:');
  ({ deps } = await serviceHarness(store, { policy: buildPolicy({ rules, settings: { ...DEFAULT_SETTINGS, requireWebApproval } }) }));
}
afterEach(async () => store.close());

describe('web approval for risky changes', () => {
  describe('with requireWebApproval: high', () => {
    beforeEach(() => withSetting('high'));

    it('rates a change by the rules its planned script matches, per device', async () => {
      const risky = buildChange({ script: 'systemctl restart nginx\nsudo rm -rf /var/cache/nginx', devices: ['web01', 'web02'] });
      expect(await webApprovalRequirement(deps, risky)).toEqual({
        risk: 'high',
        lines: [
          { lineNo: 1, text: 'systemctl restart nginx', risk: 'medium', ruleIds: ['restarts'] },
          { lineNo: 2, text: 'sudo rm -rf /var/cache/nginx', risk: 'high', ruleIds: ['no-recursive-rm'] },
        ],
        threshold: 'high',
        required: true,
      });
      expect((await webApprovalRequirement(deps, buildChange({ script: 'systemctl restart nginx', devices: ['web02'] }))).required).toBe(false);
    });

    it('refuses a Slack approval of a high-risk change and takes the signed-in web one', async () => {
      await store.changes.create(buildChange({ script: 'rm -r /tmp/old' }));
      const refused = await approveChange(deps, 'CHG-1', { userId: 'bob', terminal: 'slack' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ServiceError);
      expect((refused as ServiceError).kind).toBe('forbidden');
      expect((refused as ServiceError).message).toMatch(/CHG-1 plans high-risk commands: approve it on the web page, signed in/);
      const audit = await store.audit.list({ change: 'CHG-1' });
      expect(audit.records.map((r) => [r.eventType, r.status])).toEqual([['APPROVE', 'D']]);
      const outcome = await approveChange(deps, 'CHG-1', { userId: 'bob', terminal: 'web 127.0.0.1' }, { signedInOnWeb: true });
      expect(outcome.approved).toBe(true);
    });

    it('offers Approve on the web, a link, instead of the Approve button on the Slack request', async () => {
      await store.changes.create(buildChange({ script: 'rm -r /tmp/old' }));
      await store.changes.create(buildChange({ code: 'CHG-2', script: 'uptime' }));
      const renderer = new NotificationRenderer(deps, SlackTemplates.load(), new WebLinks('https://cg.example'), new ApprovalLinks(Buffer.alloc(32, 7), 'https://cg.example'));
      const approveButton = async (code: string, audience: string) => {
        const change = (await store.changes.findByCode(code))!;
        const rendered = await renderer.render('access.request_created', { change: summariseChange(change) }, audience);
        const actions = rendered.content.blocks.find((b) => (b as { block_id?: string }).block_id === 'change_review') as { elements: Record<string, unknown>[] };
        return actions.elements[0];
      };
      expect(await approveButton('CHG-1', 'user:bob')).toMatchObject({ action_id: 'change_approve_on_web', text: { text: 'Approve on the web' }, url: expect.stringMatching(/^https:\/\/cg\.example\/approve\//) });
      expect(await approveButton('CHG-1', 'channel:C01WEBOPS')).toMatchObject({ action_id: 'change_approve_on_web', url: 'https://cg.example/changes/CHG-1' });
      expect(await approveButton('CHG-2', 'user:bob')).toMatchObject({ action_id: 'change_approve', text: { text: 'Approve' } });
    });

    it('leaves lower-risk changes to any channel', async () => {
      await store.changes.create(buildChange({ script: 'uptime' }));
      expect((await approveChange(deps, 'CHG-1', { userId: 'bob', terminal: 'slack' })).approved).toBe(true);
    });
  });

  it('asks nothing more when the setting is unset', async () => {
    await withSetting(undefined);
    await store.changes.create(buildChange({ script: 'rm -rf /tmp/old' }));
    expect(await webApprovalRequirement(deps, buildChange({ script: 'rm -rf /tmp/old' }))).toMatchObject({ risk: 'high', required: false, threshold: undefined });
    expect((await approveChange(deps, 'CHG-1', { userId: 'bob', terminal: 'slack' })).approved).toBe(true);
  });
});

describe('the requireWebApproval policy setting', () => {
  it('takes a risk level and refuses anything else with its place in the file', () => {
    expect(checkPolicy('settings: { requireWebApproval: high }\n', 'policy.yml').settings).toEqual({ opaque: 'block', timezone: 'UTC', requireWebApproval: 'high' });
    const error = (() => {
      try {
        checkPolicy('settings: { requireWebApproval: always }\n', 'policy.yml');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PolicyValidationError);
    expect((error as PolicyValidationError).problems).toEqual([
      'policy.yml: settings.requireWebApproval: expected low|medium|high, got "always" (line 1)',
    ]);
  });
});
