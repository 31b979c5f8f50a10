import type { SshTarget } from '../../test/support/sshTarget.js';

export const LOAD_SLACK_USERS = { alice: 'U01ALICE', bob: 'U01BOB' } as const;

/** A small real policy: alice files and works, bob approves, one device (the local sshd). */
export function loadPolicyYaml(target: SshTarget, alicePublicKey: string): string {
  return `
users:
  - { id: alice, slack: ${LOAD_SLACK_USERS.alice}, name: Alice, roles: [requester], sshKeys: ['${alicePublicKey}'] }
  - { id: bob, slack: ${LOAD_SLACK_USERS.bob}, name: Bob, roles: [approver] }
groups:
  - { id: web-ops, members: [alice], approvers: [bob], approvals: 1, devices: [web01], channel: C01WEBOPS }
devices:
  - id: web01
    host: ${target.host}
    port: ${target.port}
    user: ${target.user}
    credential: { privateKeyFile: ${target.deviceKeyFile} }
    hostKey: '${target.hostKey}'
rules:
  - { id: no-recursive-rm, command: [rm], pattern: '(^|\\s)-\\w*[rR]', action: block, risk: high }
  - { id: no-shutdown, command: [shutdown, reboot, halt, poweroff], action: interrupt, attempts: 3, risk: high }
channels: { approvals: C01APPROVALS, security: C01SECURITY, audit: C01AUDIT }
settings: { opaque: block, timezone: UTC }
`;
}
