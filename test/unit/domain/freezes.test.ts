import { describe, expect, it } from 'vitest';
import { collisionsWith } from '../../../src/domain/change/collisions.js';
import { freezePeriod, freezesOverlapping } from '../../../src/domain/change/freezes.js';
import type { PolicyFreeze } from '../../../src/domain/policy/policy.js';
import { checkPolicy } from '../../../src/services/policy/policyImport.js';
import { buildChange, buildGroup, buildPolicy } from '../../support/factories.js';

const BASE = `
users:
  - { id: alice }
  - { id: bob, roles: [approver] }
groups:
  - { id: web-ops, members: [alice], approvers: [bob], devices: [web01, web02] }
  - { id: db-ops, members: [alice], approvers: [bob], devices: [db01] }
devices:
  - { id: web01, host: 10.0.0.1, user: deploy, credential: { passwordEnv: PW } }
  - { id: web02, host: 10.0.0.2, user: deploy, credential: { passwordEnv: PW } }
  - { id: db01, host: 10.0.0.3, user: deploy, credential: { passwordEnv: PW } }
settings: { timezone: Europe/Paris }
freezes:
`;

function problemsOf(freezes: string): string[] {
  try {
    checkPolicy(BASE + freezes, 'policy.yml');
    return [];
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
}

describe('freezes in the policy file', () => {
  it('accepts days, days and times, a zone of their own, servers and groups', () => {
    const policy = checkPolicy(
      `${BASE}  - { id: year-end, from: 2026-12-20, to: 2027-01-03, groups: [web-ops], reason: Year-end trading }\n  - { id: db-upgrade, from: "2026-11-28 18:00", to: "2026-11-29 06:00", timezone: America/New_York, devices: [db01], reason: Storage migration }\n`,
      'policy.yml',
    );
    expect(policy.freezes).toEqual([
      { id: 'year-end', from: '2026-12-20', to: '2027-01-03', groups: ['web-ops'], reason: 'Year-end trading' },
      { id: 'db-upgrade', from: '2026-11-28 18:00', to: '2026-11-29 06:00', timezone: 'America/New_York', devices: ['db01'], reason: 'Storage migration' },
    ]);
  });

  it('names the file, the place, what was expected and the line for every mistake', () => {
    expect(problemsOf('  - { id: f1, from: 2026-13-01, to: 2026-12-31, devices: [web01], reason: x }\n')).toEqual(['policy.yml: freezes[0].from: is not a real date and time, got "2026-13-01" (line 14)']);
    expect(problemsOf('  - { id: f1, from: 2026-12-01, to: tomorrow, devices: [web01], reason: x }\n')).toEqual([
      'policy.yml: freezes[0].to: must be a date like 2026-12-20 or a date and time like "2026-12-20 18:00", got "tomorrow" (line 14)',
    ]);
    expect(problemsOf('  - { id: f1, from: 2026-12-01, to: 2026-12-02, reason: x }\n')).toEqual(['policy.yml: freezes[0]: needs "devices", "groups" or both: the servers the freeze covers (line 14)']);
    expect(problemsOf('  - { id: f1, from: "2026-12-02 10:00", to: "2026-12-02 09:00", devices: [web01], reason: x }\n')).toEqual([
      'policy.yml: freezes[0].to: must be after from (2026-12-02 10:00): the freeze would cover no time (line 14)',
    ]);
    expect(problemsOf('  - { id: f1, from: 2026-12-01, to: 2026-12-02, devices: [web09], groups: [hr-ops], reason: x }\n')).toEqual([
      'policy.yml: freezes[0].devices[0]: unknown device "web09" (line 14)',
      'policy.yml: freezes[0].groups[0]: unknown group "hr-ops" (line 14)',
    ]);
    expect(problemsOf('  - { id: f1, from: 2026-12-01, to: 2026-12-02, devices: [web01], timezone: Mars/Olympus, reason: x }\n')).toEqual([
      'policy.yml: freezes[0].timezone: must be an IANA time zone such as UTC or Europe/Paris (line 14)',
    ]);
    expect(problemsOf('  - { id: f1, from: 2026-12-01, to: 2026-12-02, devices: [web01] }\n')).toEqual(['policy.yml: freezes[0].reason: is required (string) (line 14)']);
    expect(problemsOf('  - { id: f1, from: 2026-12-01, to: 2026-12-02, devices: [web01], reason: x }\n  - { id: f1, from: 2026-12-03, to: 2026-12-04, devices: [web01], reason: y }\n')).toEqual([
      'policy.yml: freezes[1].id: duplicate id "f1" (first at freezes[0]) (line 15)',
    ]);
  });
});

describe('freeze periods', () => {
  const freeze = (overrides: Partial<PolicyFreeze>): PolicyFreeze => ({ id: 'f', from: '2026-12-20', to: '2026-12-21', devices: ['web01'], reason: 'r', ...overrides });

  it('reads wall times in the freeze\'s zone (else the policy\'s); a day alone as the end includes the day', () => {
    expect(freezePeriod(freeze({}), 'Europe/Paris')).toMatchObject({ start: new Date('2026-12-19T23:00:00Z'), end: new Date('2026-12-21T23:00:00Z'), timezone: 'Europe/Paris' });
    expect(freezePeriod(freeze({ from: '2026-03-29 01:00', to: '2026-03-29 04:00', timezone: 'Europe/Paris' }), 'UTC')).toMatchObject({
      start: new Date('2026-03-29T00:00:00Z'),
      end: new Date('2026-03-29T02:00:00Z'),
    });
  });

  it('covers a change on a listed server, on a server of a listed group, or filed in a listed group; touching is not overlapping', () => {
    const policy = buildPolicy({
      groups: [buildGroup(), buildGroup({ id: 'db-ops', devices: ['db01'] })],
      freezes: [freeze({ id: 'web', devices: ['web02'] }), freeze({ id: 'db', devices: undefined, groups: ['db-ops'] })],
      settings: { opaque: 'block', timezone: 'UTC' },
    });
    const at = (iso: string) => new Date(iso);
    const plan = (group: string, devices: string[], start = '2026-12-20T10:00:00Z', end = '2026-12-20T12:00:00Z') => ({ group, devices, windowStart: at(start), windowEnd: at(end) });
    expect(freezesOverlapping(policy, plan('web-ops', ['web01'])).map((p) => p.freeze.id)).toEqual([]);
    expect(freezesOverlapping(policy, plan('web-ops', ['web01', 'web02'])).map((p) => p.freeze.id)).toEqual(['web']);
    expect(freezesOverlapping(policy, plan('web-ops', ['db01'])).map((p) => p.freeze.id)).toEqual(['db']);
    expect(freezesOverlapping(policy, plan('db-ops', ['web01'])).map((p) => p.freeze.id)).toEqual(['db']);
    expect(freezesOverlapping(policy, plan('web-ops', ['web02'], '2026-12-19T22:00:00Z', '2026-12-20T00:00:00Z'))).toEqual([]);
    expect(freezesOverlapping(policy, plan('web-ops', ['web02'], '2026-12-21T23:00:00Z', '2026-12-22T01:00:00Z')).map((p) => p.freeze.id)).toEqual(['web']);
  });
});

describe('collisions', () => {
  it('lists the open changes on a shared server whose window overlaps, earliest first', () => {
    const at = (h: number) => new Date(Date.UTC(2026, 11, 1, h));
    const others = [
      buildChange({ code: 'CHG-2', devices: ['web01', 'web02'], windowStart: at(11), windowEnd: at(13) }),
      buildChange({ code: 'CHG-3', devices: ['web02'], windowStart: at(9), windowEnd: at(11), status: 'approved' }),
      buildChange({ code: 'CHG-4', devices: ['web01'], windowStart: at(9), windowEnd: at(12), status: 'cancelled' }),
      buildChange({ code: 'CHG-5', devices: ['web01'], windowStart: at(12), windowEnd: at(14) }),
      buildChange({ code: 'CHG-6', devices: ['db01'], windowStart: at(10), windowEnd: at(12) }),
      buildChange({ code: 'CHG-1', devices: ['web01'], windowStart: at(10), windowEnd: at(12) }),
    ];
    const found = collisionsWith({ code: 'CHG-1', devices: ['web01', 'web02'], windowStart: at(10), windowEnd: at(12) }, others);
    expect(found.map((c) => [c.code, c.devices])).toEqual([
      ['CHG-3', ['web02']],
      ['CHG-2', ['web01', 'web02']],
    ]);
  });
});
