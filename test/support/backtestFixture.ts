import { importPolicy } from '../../src/services/policy/policyImport.js';
import type { ServiceDeps } from '../../src/services/serviceDeps.js';
import { seedSessions } from './seedSessions.js';
import type { TestClock } from './testClock.js';

/**
 * A policy, as a file, and the sessions judged under it, for policy backtests: scoped rules
 * (by device, by group), an interrupt rule with three attempts, opaque commands blocked, and an
 * exec session that starts a shell (refused by the proxy whatever the rules say).
 */
export const BACKTEST_POLICY_YAML = `
users:
  - { id: alice, name: Alice, roles: [requester] }
  - { id: bob, name: Bob, roles: [requester, approver] }
  - { id: carol, name: Carol, roles: [approver] }
  - { id: erin, name: Erin, roles: [auditor] }
  - { id: sam, name: Sam, roles: [security] }
  - { id: ada, name: Ada, roles: [admin] }
groups:
  - { id: web-ops, members: [alice, bob], approvers: [carol], devices: [web01, web02] }
  - { id: db-ops, members: [bob], approvers: [carol], devices: [db01] }
devices:
  - { id: web01, host: 127.0.0.1, user: deploy, credential: { passwordEnv: WEB01_PASSWORD } }
  - { id: web02, host: 127.0.0.1, user: deploy, credential: { passwordEnv: WEB02_PASSWORD } }
  - { id: db01, host: 127.0.0.1, user: deploy, credential: { passwordEnv: DB01_PASSWORD } }
rules:
  - { id: no-recursive-rm, command: [rm], pattern: '(^|\\s)-\\w*[rR]', action: block, risk: high }
  - { id: no-shutdown, command: [shutdown, reboot], action: interrupt, attempts: 3, risk: high }
  - { id: apache-stop, pattern: '^(systemctl|service)\\s+(stop|restart)\\s+(apache2|httpd)', action: block, risk: medium, scope: { devices: [web01] } }
  - { id: no-dump, command: [pg_dump], action: block, scope: { groups: [db-ops] } }
settings: { opaque: block, timezone: UTC }
`;

/**
 * The draft the tests try: no-recursive-rm dropped, no-shutdown cutting at the first attempt,
 * a new rule refusing alice's uptime, and opaque commands allowed.
 */
export const BACKTEST_DRAFT_YAML = `
rules:
  - { id: no-shutdown, command: [shutdown, reboot], action: interrupt, attempts: 1, risk: high }
  - { id: apache-stop, pattern: '^(systemctl|service)\\s+(stop|restart)\\s+(apache2|httpd)', action: block, risk: medium, scope: { devices: [web01] } }
  - { id: no-dump, command: [pg_dump], action: block, scope: { groups: [db-ops] } }
  - { id: no-uptime, command: [uptime], action: block, scope: { users: [alice] } }
settings: { opaque: allow, timezone: UTC }
`;

const HOUR = 3600_000;

/** Loads the policy and records three sessions of CHG-1 (web-ops) and CHG-2 (db-ops). */
export async function seedBacktestHistory(deps: ServiceDeps, clock: TestClock): Promise<void> {
  await importPolicy(deps, BACKTEST_POLICY_YAML, 'policy.yml', { userId: 'root', terminal: 'cli', kind: 'operator' });
  const base = { title: 'Maintenance', description: '', script: 'uptime', scriptHash: 'h', status: 'in_progress' as const, approvals: [], createdAt: clock.now(), updatedAt: clock.now(), version: 1 };
  const window = { windowStart: clock.now(), windowEnd: new Date(clock.now().getTime() + 4 * HOUR) };
  await deps.store.changes.create({ ...base, ...window, code: 'CHG-1', requester: 'alice', group: 'web-ops', devices: ['web01', 'web02'] });
  await deps.store.changes.create({ ...base, ...window, code: 'CHG-2', requester: 'bob', group: 'db-ops', devices: ['db01'] });
  await seedSessions(deps, [
    {
      id: 'sess-1',
      changeCode: 'CHG-1',
      user: 'alice',
      device: 'web01',
      group: 'web-ops',
      lines: ['uptime', 'rm -rf /tmp/x', 'systemctl stop apache2', 'reboot', 'reboot', 'reboot', '$(echo rm) -rf /'],
    },
    { id: 'sess-2', changeCode: 'CHG-2', user: 'bob', device: 'db01', group: 'db-ops', lines: ['pg_dump app', 'systemctl stop apache2', 'ls'] },
    { id: 'sess-3', changeCode: 'CHG-1', user: 'alice', device: 'web02', group: 'web-ops', kind: 'exec', lines: ['bash', 'uptime'] },
  ]);
}
