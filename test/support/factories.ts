import type { Change } from '../../src/domain/change/change.js';
import { hashScript } from '../../src/domain/change/scriptHash.js';
import type { Policy, PolicyGroup, PolicyRule, PolicyUser } from '../../src/domain/policy/policy.js';
import { DEFAULT_SETTINGS } from '../../src/domain/policy/policy.js';
import type { CommandRecord } from '../../src/domain/session/commandRecord.js';
import type { Session } from '../../src/domain/session/session.js';

export const T0 = new Date('2026-11-22T09:00:00Z');
export const HOUR = 3600_000;

export function buildChange(overrides: Partial<Change> = {}): Change {
  const script = overrides.script ?? 'systemctl restart nginx\ntail -n 50 /var/log/nginx/error.log';
  return {
    code: 'CHG-1',
    title: 'Restart nginx',
    description: 'Pick up the new TLS certificate',
    requester: 'alice',
    group: 'web-ops',
    devices: ['web01'],
    script,
    scriptHash: hashScript(script),
    windowStart: new Date(T0.getTime() + HOUR),
    windowEnd: new Date(T0.getTime() + 3 * HOUR),
    status: 'pending_approval',
    approvals: [],
    createdAt: T0,
    updatedAt: T0,
    version: 0,
    ...overrides,
  };
}

/** A change approved by bob whose window is open at `now` (an hour left): sessions may start. */
export function buildOpenApprovedChange(now: Date, overrides: Partial<Change> = {}): Change {
  const at = now.getTime();
  const script = overrides.script ?? 'uptime';
  return buildChange({
    description: 'test change',
    windowStart: new Date(at - 60_000),
    windowEnd: new Date(at + 3600_000),
    status: 'approved',
    approvals: [{ approver: 'bob', at: new Date(at - 120_000), scriptHash: hashScript(script) }],
    createdAt: new Date(at - 600_000),
    updatedAt: new Date(at - 120_000),
    version: 1,
    ...overrides,
    script,
  });
}

export function buildUser(overrides: Partial<PolicyUser> & { id: string }): PolicyUser {
  return { name: overrides.id, roles: ['requester'], sshKeys: [], ...overrides };
}

export function buildGroup(overrides: Partial<PolicyGroup> = {}): PolicyGroup {
  return { id: 'web-ops', members: ['alice'], approvers: ['bob', 'carol'], approvals: 1, devices: ['web01', 'web02'], ...overrides };
}

export function buildRule(overrides: Partial<PolicyRule> & { id: string }): PolicyRule {
  return { action: 'block', risk: 'low', attempts: 1, ...overrides };
}

export function buildPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    users: [
      buildUser({ id: 'alice', slack: 'U01ALICE' }),
      buildUser({ id: 'bob', slack: 'U01BOB', roles: ['approver'] }),
      buildUser({ id: 'carol', slack: 'U01CAROL', roles: ['approver'] }),
      buildUser({ id: 'erin', roles: ['auditor'] }),
    ],
    groups: [buildGroup()],
    devices: [
      { id: 'web01', host: '127.0.0.1', port: 22, user: 'deploy', credential: { passwordEnv: 'WEB01_PASSWORD' } },
      { id: 'web02', host: '127.0.0.1', port: 22, user: 'deploy', credential: { passwordEnv: 'WEB02_PASSWORD' } },
    ],
    rules: [],
    freezes: [],
    channels: {},
    settings: DEFAULT_SETTINGS,
    ...overrides,
  };
}

/** A policy YAML text matching DESIGN.md's example, for CLI and import tests. */
export const EXAMPLE_POLICY_YAML = `
users:
  - { id: alice, slack: U01ALICE, name: Alice, roles: [requester] }
  - { id: bob, slack: U01BOB, name: Bob, roles: [approver] }
  - { id: carol, slack: U01CAROL, name: Carol, roles: [approver] }
  - { id: erin, slack: U01ERIN, name: Erin, roles: [auditor] }
groups:
  - { id: web-ops, members: [alice], approvers: [bob, carol], approvals: 1, devices: [web01, web02], channel: C01WEBOPS }
devices:
  - id: web01
    host: 10.0.0.5
    port: 22
    user: deploy
    credential: { privateKeyFile: /etc/changeguard/keys/deploy }
  - id: web02
    host: 10.0.0.6
    user: deploy
    credential: { passwordEnv: WEB02_PASSWORD }
rules:
  - { id: no-recursive-rm, command: [rm], pattern: '(^|\\s)-\\w*[rR]', action: block, risk: high }
  - { id: no-shutdown, command: [shutdown, reboot, halt, poweroff], action: interrupt, attempts: 3, risk: high, lockAfter: 5 }
  - { id: apache-stop, pattern: '^(systemctl|service)\\s+(stop|restart)\\s+(apache2|httpd)', action: block, risk: medium, scope: { devices: [web01] } }
  - { id: sudo-audit, command: [sudo], action: allow, risk: medium }
channels: { approvals: C01APPROVALS, security: C01SECURITY, audit: C01AUDIT }
settings: { opaque: block, timezone: UTC }
`;

/** A judged command as the session services store it (alice's, in session `sess-1` of CHG-1 on web01). */
export function buildCommandRecord(overrides: Partial<CommandRecord> = {}): CommandRecord {
  return {
    id: 'cmd-1',
    sessionId: 'sess-1',
    changeCode: 'CHG-1',
    user: 'alice',
    device: 'web01',
    at: T0,
    source: 'shell',
    line: 'systemctl restart nginx',
    commands: ['systemctl restart nginx'],
    effective: ['systemctl restart nginx'],
    verdict: 'allow',
    ruleIds: [],
    risk: null,
    ...overrides,
  };
}

/** The session a command is judged in (alice's shell on web01 for CHG-1, live). */
export function buildSession(overrides: Partial<Session> = {}): Session {
  return {
    id: 'sess-1',
    changeCode: 'CHG-1',
    user: 'alice',
    device: 'web01',
    kind: 'shell',
    justification: 'planned restart',
    clientAddress: '127.0.0.1',
    startedAt: T0,
    state: 'active',
    owner: 'proc-a',
    ...overrides,
  };
}
