import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importPolicy, PolicyValidationError } from '../../../src/services/policy/policyImport.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { createServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { EXAMPLE_POLICY_YAML } from '../../support/factories.js';
import { sharedParser } from '../../support/sharedParser.js';
import { TestClock } from '../../support/testClock.js';

let store: SqliteStore;
let deps: ServiceDeps;
const admin = { userId: 'root', terminal: 'cli', kind: 'operator' as const };

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  deps = createServiceDeps({ store, clock: new TestClock(new Date('2026-11-22T09:00:00Z')).now, parser: await sharedParser() });
});
afterEach(async () => {
  await store.close();
});

describe('policy import', () => {
  it('creates every entry with an audit record carrying its after image', async () => {
    const summary = await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    // 4 users, 1 group, 2 devices, 4 rules; channels changed; settings equal the defaults.
    expect(summary).toMatchObject({ created: 11, updated: 1, deleted: 0 });
    const records = (await store.audit.list({})).records;
    expect(records.find((r) => r.class === 'RULE' && r.object === 'no-shutdown')).toMatchObject({
      eventType: 'CREATE',
      actor: 'root',
      terminal: 'cli',
      details: 'policy import from policy.yml',
      images: { before: null, after: { id: 'no-shutdown', action: 'interrupt', attempts: 3, lockAfter: 5 } },
    });
    const policy = await deps.policies.current();
    expect(policy.policy.rules.map((r) => r.id)).toEqual(['no-recursive-rm', 'no-shutdown', 'apache-stop', 'sudo-audit']);
  });

  it('is idempotent: a second import of the same file changes and audits nothing', async () => {
    await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    const before = await store.audit.head();
    const summary = await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    expect(summary).toMatchObject({ created: 0, updated: 0, deleted: 0, lines: [] });
    expect(await store.audit.head()).toEqual(before);
  });

  it('records before and after images of an update and a deletion', async () => {
    await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    const edited = EXAMPLE_POLICY_YAML.replace('attempts: 3', 'attempts: 5').replace(/ {2}- \{ id: sudo-audit.*\n/, '');
    const summary = await importPolicy(deps, edited, 'policy.yml', admin);
    expect(summary.lines).toEqual(['RULE no-shutdown updated', 'RULE sudo-audit deleted']);
    const { records } = await store.audit.list({ eventType: 'UPDATE' });
    expect(records.at(-1)).toMatchObject({ object: 'no-shutdown', images: { before: { attempts: 3 }, after: { attempts: 5 } } });
    const deleted = (await store.audit.list({ eventType: 'DELETE' })).records;
    expect(deleted).toMatchObject([{ object: 'sudo-audit', images: { before: { id: 'sudo-audit' }, after: null } }]);
  });

  it('keeps sections a partial file leaves out, and checks its references against them', async () => {
    await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    await importPolicy(deps, 'rules:\n  - { id: only-rule, command: [rm], action: block, scope: { groups: [web-ops] } }\n', 'rules.yml', admin);
    const { policy } = await deps.policies.current();
    expect(policy.users).toHaveLength(4);
    expect(policy.rules.map((r) => r.id)).toEqual(['only-rule']);
    await expect(
      importPolicy(deps, 'rules:\n  - { id: r, command: [rm], action: block, scope: { groups: [nope] } }\n', 'rules.yml', admin),
    ).rejects.toThrow('rules.yml: rules[0].scope.groups[0]: unknown group "nope" (line 2)');
  });

  it('leaves the stored policy and the trail intact when the file is bad', async () => {
    await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', admin);
    const head = await store.audit.head();
    const before = await store.policy.load();
    const error = await importPolicy(deps, EXAMPLE_POLICY_YAML.replace('action: block, risk: high', 'action: deny, risk: high'), 'policy.yml', admin).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PolicyValidationError);
    expect((error as PolicyValidationError).problems).toEqual(['policy.yml: rules[0].action: expected allow|block|interrupt|force|review, got "deny" (line 20)']);
    expect(await store.policy.load()).toEqual(before);
    expect(await store.audit.head()).toEqual(head);
  });
});
