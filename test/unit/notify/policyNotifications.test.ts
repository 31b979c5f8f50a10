import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approverChanges } from '../../../src/domain/policy/approverChanges.js';
import { NotificationRenderer } from '../../../src/notify/notificationRenderer.js';
import { SlackTemplates } from '../../../src/notify/slackTemplates.js';
import { WebLinks } from '../../../src/notify/webLinks.js';
import { ApprovalLinks } from '../../../src/services/links/approvalLinks.js';
import { importPolicy } from '../../../src/services/policy/policyImport.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { buildGroup, EXAMPLE_POLICY_YAML } from '../../support/factories.js';
import { storedNotifications } from '../../support/storedNotifications.js';
import { serviceHarness } from '../../support/serviceHarness.js';

const admin = { userId: 'system', terminal: 'policy file' };
let store: SqliteStore;
let deps: ServiceDeps;

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps } = await serviceHarness(store));
});
afterEach(async () => {
  await store.close();
});

describe('approver changes', () => {
  it('lists who was added to and removed from each group, including new and deleted groups', () => {
    const before = [buildGroup({ id: 'web', approvers: ['bob', 'carol'] }), buildGroup({ id: 'old', approvers: ['dave'] })];
    const after = [buildGroup({ id: 'web', approvers: ['carol', 'erin'] }), buildGroup({ id: 'db', approvers: ['bob'] })];
    expect(approverChanges(before, after)).toEqual([
      { group: 'web', user: 'erin', action: 'added' },
      { group: 'web', user: 'bob', action: 'removed' },
      { group: 'old', user: 'dave', action: 'removed' },
      { group: 'db', user: 'bob', action: 'added' },
    ]);
  });
});

describe('policy import notifications', () => {
  it('announces an import that changed something to the audit channel, and each new approver', async () => {
    await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    const first = (await storedNotifications(store)).length;
    const edited = EXAMPLE_POLICY_YAML.replace('approvers: [bob, carol]', 'approvers: [carol, erin]').replace("risk: medium, scope", "risk: high, scope");
    await importPolicy(deps, edited, 'policy.yml', admin);

    const sent = (await storedNotifications(store)).slice(first);
    expect(sent.map((n) => [n.type, n.audience])).toEqual([
      ['audit.trail', [{ role: 'audit' }]],
      ['access.approver_management', [{ role: 'approvals' }, { user: 'erin' }]],
      ['access.approver_management', [{ role: 'approvals' }, { user: 'bob' }]],
    ]);
    const renderer = new NotificationRenderer(deps, SlackTemplates.load(), new WebLinks('https://changeguard.example.com'), new ApprovalLinks(Buffer.alloc(32, 7), 'https://changeguard.example.com'));
    const [trail, added, removed] = await Promise.all(sent.map((n) => renderer.render(n.type, n.data, 'role:audit')));
    expect(trail!.problem).toBeUndefined();
    expect(JSON.stringify(trail!.content)).toContain('GROUP web-ops updated');
    expect(JSON.stringify(trail!.content)).toContain('RULE apache-stop updated');
    expect(JSON.stringify(added!.content)).toContain('*erin* was registered as an approver of group *web-ops*');
    expect(JSON.stringify(removed!.content)).toContain('*bob* was removed as an approver of group *web-ops*');
  });

  it('stays quiet when an import changes nothing (every restart re-imports the file)', async () => {
    await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    const first = (await storedNotifications(store)).length;
    await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    expect((await storedNotifications(store)).length).toBe(first);
  });
});
