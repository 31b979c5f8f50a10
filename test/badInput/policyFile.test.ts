import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_POLICY_BYTES } from '../../src/domain/policy/parsePolicy.js';
import { checkPolicy, importPolicy, PolicyValidationError } from '../../src/services/policy/policyImport.js';
import { createServiceDeps, type ServiceDeps } from '../../src/services/serviceDeps.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { EXAMPLE_POLICY_YAML } from '../support/factories.js';
import { sharedParser } from '../support/sharedParser.js';
import { TestClock } from '../support/testClock.js';
import { expectIntact, takeSnapshot } from './storeSnapshot.js';

/**
 * Hostile policy files, through the service both `changeguard policy check|import` and the
 * start-up import use. Each must be refused with located lines (`policy.yml: path: what (line n)`)
 * and leave the stored policy and the audit trail as they were. Already covered in
 * test/unit/domain/policyParsing.test.ts: bad enums, wrong types in a few fields, unknown keys,
 * unknown references, duplicate ids, invalid regular expressions, (a+)+, YAML syntax errors.
 */

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

interface HostileFile {
  readonly name: string;
  readonly content: string | Uint8Array;
  /** Every problem line, exactly or by pattern. */
  readonly problems: readonly (string | RegExp)[];
}

const tenTimes = (ref: string) => `[${Array.from({ length: 10 }, () => ref).join(', ')}]`;

const hostile: HostileFile[] = [
  {
    name: 'a billion-laughs alias bomb',
    content: `a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\nb: &b ${tenTimes('*a')}\nc: &c ${tenTimes('*b')}\nd: &d ${tenTimes('*c')}\nusers: ${tenTimes('*d')}\n`,
    problems: ['policy.yml: not valid YAML: too many alias references (*name) expand to one another; a policy may not repeat content this way'],
  },
  {
    name: 'a document nested thousands deep',
    content: `users: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
    problems: [/^policy\.yml: not valid YAML: nested too deeply at line 1, column \d+ \(line 1\)$/],
  },
  {
    name: 'a duplicate key overriding an earlier value',
    content: 'users:\n  - { id: alice, roles: [requester], roles: [admin] }\n',
    problems: [/^policy\.yml: not valid YAML: Map keys must be unique at line 2, column \d+ \(line 2\)$/],
  },
  {
    name: 'a duplicate top-level section',
    content: 'rules:\n  - { id: no-rm, command: rm, action: block }\nrules: []\n',
    problems: [/^policy\.yml: not valid YAML: Map keys must be unique at line 3, column 1 \(line 3\)$/],
  },
  {
    name: 'a file over the size limit',
    content: `users:\n${Array.from({ length: 60_000 }, (_, i) => `  - { id: user${i} }`).join('\n')}\n`,
    problems: [/^policy\.yml: the file is \d+ bytes; a policy may be at most 1048576 bytes \(1 MiB\)$/],
  },
  {
    name: 'wrong types in every section',
    content: 'users: 5\ngroups: "web-ops"\ndevices: { web01: 1 }\nrules: [1, "two", null]\nchannels: []\nsettings: 3\n',
    problems: [
      'policy.yml: users: expected array, got 5 (line 1)',
      'policy.yml: groups: expected array, got "web-ops" (line 2)',
      'policy.yml: devices: expected array, got a mapping (line 3)',
      'policy.yml: rules[0]: expected object, got 1 (line 4)',
      'policy.yml: rules[1]: expected object, got "two" (line 4)',
      'policy.yml: rules[2]: expected object, got null (line 4)',
      'policy.yml: channels: expected object, got a list (line 5)',
      'policy.yml: settings: expected object, got 3 (line 6)',
    ],
  },
  {
    name: 'wrong types inside entries',
    content: [
      'users:',
      '  - { id: 42, roles: requester, sshKeys: "ssh-ed25519 AAAA" }',
      'devices:',
      '  - { id: web01, host: [a], port: "22", user: deploy, credential: { privateKeyFile: 7 } }',
      'rules:',
      '  - { id: r1, command: rm, action: block, attempts: 1.5, lockAfter: -1, risk: 3 }',
      '',
    ].join('\n'),
    problems: [
      'policy.yml: users[0].id: expected string, got 42 (line 2)',
      'policy.yml: users[0].roles: expected array, got "requester" (line 2)',
      'policy.yml: users[0].sshKeys: expected array, got "ssh-ed25519 AAAA" (line 2)',
      'policy.yml: devices[0].host: expected string, got a list (line 4)',
      'policy.yml: devices[0].port: expected number, got "22" (line 4)',
      'policy.yml: devices[0].credential: privateKeyFile: expected string, got 7 (line 4)',
      'policy.yml: rules[0].risk: expected low|medium|high, got 3 (line 6)',
      'policy.yml: rules[0].attempts: expected int, got 1.5 (line 6)',
      'policy.yml: rules[0].lockAfter: expected number to be >=1, got -1 (line 6)',
    ],
  },
  {
    name: 'a pattern open to catastrophic backtracking through a counted group',
    content: "rules:\n  - { id: redos, pattern: '(.*a){12}', action: block }\n",
    problems: [/^policy\.yml: rules\[0\]\.pattern: may take exponential time .* \(line 2\)$/],
  },
  {
    name: 'a pattern longer than the limit',
    content: `rules:\n  - { id: long, pattern: "${'a'.repeat(2001)}", action: block }\n`,
    problems: [/^policy\.yml: rules\[0\]\.pattern: expected string to have <=2000 characters, got "a+\.\.\." \(line 2\)$/],
  },
  {
    name: 'references to users, groups and devices that do not exist',
    content: 'rules:\n  - { id: r, command: rm, action: block, scope: { users: [ghost], groups: [nowhere], devices: [web99] } }\n',
    problems: [
      'policy.yml: rules[0].scope.groups[0]: unknown group "nowhere" (line 2)',
      'policy.yml: rules[0].scope.devices[0]: unknown device "web99" (line 2)',
      'policy.yml: rules[0].scope.users[0]: unknown user "ghost" (line 2)',
    ],
  },
  {
    name: 'bytes that are not UTF-8 in a name',
    content: bytes('users:\n  - { id: alice, name: "Al', [0xe9, 0xff], 'ce" }\n'),
    problems: ['policy.yml: not valid UTF-8 text (save the file as UTF-8) (line 2)'],
  },
  {
    name: 'a NUL byte and an RTL override in an id',
    content: 'users:\n  - { id: "ali\\0ce" }\n  - { id: "admin\u202enimda" }\n',
    problems: [
      /^policy\.yml: users\[0\]\.id: must be letters, digits, _ \. @ - .* \(line 2\)$/,
      /^policy\.yml: users\[1\]\.id: must be letters, digits, _ \. @ - .* \(line 3\)$/,
    ],
  },
  {
    name: '__proto__ keys trying to pollute prototypes',
    content: '__proto__: { polluted: true }\nusers:\n  - { id: mallory, __proto__: { roles: [admin] } }\nsettings: { constructor: { prototype: { polluted: true } } }\n',
    problems: [
      'policy.yml: unknown key "__proto__" (line 1)',
      'policy.yml: users[0]: unknown key "__proto__" (line 3)',
      'policy.yml: settings: unknown key "constructor" (line 4)',
    ],
  },
  {
    name: 'YAML merge keys and language tags',
    content: 'base: &admin { roles: [admin] }\nusers:\n  - { id: mallory, <<: *admin }\n  - { id: !!binary bWFsbG9yeQ== }\n',
    problems: [
      'policy.yml: users[0]: unknown key "<<" (line 3)',
      'policy.yml: users[1].id: expected string, got a mapping (line 4)',
      'policy.yml: unknown key "base" (line 1)',
    ],
  },
];

function refusal(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof PolicyValidationError) return error.problems;
    throw error;
  }
  throw new Error('the policy was accepted');
}

function expectProblems(found: readonly string[], expected: readonly (string | RegExp)[]): void {
  expect(found).toHaveLength(expected.length);
  for (const want of expected) {
    expect(found.some((line) => (typeof want === 'string' ? line === want : want.test(line))), `${String(want)} in\n${found.join('\n')}`).toBe(true);
  }
}

describe('hostile policy files: policy check', () => {
  for (const file of hostile) {
    it(`refuses ${file.name} with located problems`, () => {
      expectProblems(refusal(() => checkPolicy(file.content, 'policy.yml')), file.problems);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('keeps the size limit above a realistic large policy', () => {
    const users = Array.from({ length: 2000 }, (_, i) => `  - { id: user${i}, slack: U0${i}ABC, roles: [requester], sshKeys: ["ssh-ed25519 ${'A'.repeat(68)} user${i}"] }`);
    const text = `users:\n${users.join('\n')}\n`;
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_POLICY_BYTES);
    expect(checkPolicy(text, 'policy.yml').users).toHaveLength(2000);
  });
});

describe('hostile policy files: policy import', () => {
  let store: SqliteStore;
  let deps: ServiceDeps;
  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    deps = createServiceDeps({ store, clock: new TestClock(new Date('2026-11-22T09:00:00Z')).now, parser: await sharedParser() });
    await importPolicy(deps, EXAMPLE_POLICY_YAML, 'policy.yml', { userId: 'root', terminal: 'cli', kind: 'operator' });
  });
  afterEach(() => store.close());

  for (const file of hostile) {
    it(`applies nothing from ${file.name}`, async () => {
      const before = await takeSnapshot(store);
      const error = await importPolicy(deps, file.content, 'policy.yml', { userId: 'root', terminal: 'cli', kind: 'operator' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyValidationError);
      expectProblems((error as PolicyValidationError).problems, file.problems);
      await expectIntact(store, before);
    });
  }
});
