import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_POLICY_YAML } from '../../support/factories.js';
import { runCliProcess } from '../../support/runCliProcess.js';

let dir: string;
let policyFile: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-cli-'));
  policyFile = join(dir, 'policy.yml');
  writeFileSync(policyFile, EXAMPLE_POLICY_YAML);
  env = { DATA_DIR: join(dir, 'data'), MONGODB_URI: '' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('changeguard rules test', () => {
  it('prints one JSON verdict per input line', async () => {
    const stdin = ['ls -la', '', 'sudo rm -rf /var/www', 'reboot', 'systemctl stop apache2', '$(echo rm) -rf /'].join('\n') + '\n';
    const result = await runCliProcess(['rules', 'test', '--policy', policyFile, '--device', 'web01', '--json'], { stdin, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { command: 'ls -la', action: 'allow', rules: [], risk: null, commands: ['ls -la'] },
      { command: '', action: 'allow', rules: [], risk: null, commands: [] },
      { command: 'sudo rm -rf /var/www', action: 'block', rules: ['sudo-audit', 'no-recursive-rm'], risk: 'high', commands: ['sudo rm -rf /var/www', 'rm -rf /var/www'] },
      { command: 'reboot', action: 'interrupt', rules: ['no-shutdown'], risk: 'high', commands: ['reboot'] },
      { command: 'systemctl stop apache2', action: 'block', rules: ['apache-stop'], risk: 'medium', commands: ['systemctl stop apache2'] },
      { command: '$(echo rm) -rf /', action: 'block', rules: ['(opaque)'], risk: null, commands: ['echo rm', '$(echo rm) -rf /'] },
    ]);
  });

  it('applies device scope only when the device matches', async () => {
    const result = await runCliProcess(['rules', 'test', '--policy', policyFile, '--device', 'web02'], { stdin: 'systemctl stop apache2\n', env });
    expect(result.stdout).toBe('allow     systemctl stop apache2\n');
  });

  it('exits 2 with a precise message on a bad policy', async () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, EXAMPLE_POLICY_YAML.replace('action: interrupt', 'action: deny'));
    const result = await runCliProcess(['rules', 'test', '--policy', bad, '--json'], { stdin: 'ls\n', env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('bad.yml: rules[1].action: expected allow|block|interrupt|force|review, got "deny" (line 21)\n');
  });

  it('exits 2 when the policy file is missing', async () => {
    const result = await runCliProcess(['rules', 'test', '--policy', join(dir, 'none.yml')], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ENOENT|cannot read|no such file/i);
  });
});

describe('changeguard policy', () => {
  it('checks a file without loading it', async () => {
    const ok = await runCliProcess(['policy', 'check', policyFile], { env });
    expect(ok).toMatchObject({ code: 0, stdout: 'policy.yml: valid (4 users, 1 groups, 2 devices, 4 rules)\n' });
    const bad = join(dir, 'dangling.yml');
    writeFileSync(bad, 'users: [{ id: a }]\ngroups: [{ id: g, approvers: [b] }]\n');
    const result = await runCliProcess(['policy', 'check', bad], { env });
    expect(result).toMatchObject({ code: 2, stderr: 'dangling.yml: groups[0].approvers[0]: unknown user "b" (line 2)\n' });
  });

  it('imports idempotently and audits what changed', async () => {
    const first = await runCliProcess(['policy', 'import', policyFile], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/policy\.yml: 11 created, 1 updated, 0 deleted, \d+ unchanged\n$/);
    const second = await runCliProcess(['policy', 'import', policyFile], { env });
    expect(second.stdout).toMatch(/^policy\.yml: 0 created, 0 updated, 0 deleted, 13 unchanged\n$/);
  });
});

describe('changeguard audit', () => {
  it('exports the trail as CSV and JSON, filtered by change', async () => {
    const csv = await runCliProcess(['audit', 'export', '--format', 'csv'], { env });
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('Seq,Date,Time,Status,Event type,Class,Actor,Details,Reason,Object,Terminal,Command,Flags,Change,Timestamp,Prev hash,Hash');
    // Twelve records, then the chain's head: an export anchors the trail.
    expect(rows).toHaveLength(14);
    expect(rows[13]).toMatch(/^HEAD,,,,CHAIN_HEAD,,,chain head at export: record 12; anchor 12:[0-9a-f]{64},,12,,,,,,,[0-9a-f]{64}$/);
    expect(rows[1]).toMatch(/^1,\d{2} [A-Z][a-z]{2} \d{4},\d{2}:\d{2}:\d{2},S,CREATE,USER,/);
    const json = await runCliProcess(['audit', 'export', '--format', 'json', '--since', '1d'], { env });
    expect(JSON.parse(json.stdout)).toHaveLength(13);
    expect(JSON.parse(json.stdout).at(-1)).toMatchObject({ head: { seq: 12 }, anchor: expect.stringMatching(/^12:[0-9a-f]{64}$/) });
    const none = await runCliProcess(['audit', 'export', '--format', 'json', '--change', 'CHG-404'], { env });
    // No record of that change, but still the head: the file says what the trail held.
    expect(JSON.parse(none.stdout)).toMatchObject([{ head: { seq: 12 } }]);
    const badDate = await runCliProcess(['audit', 'export', '--since', 'yesterday'], { env });
    expect(badDate).toMatchObject({ code: 2, stderr: 'changeguard: --since: expected a date like 2026-11-01 or 7d, got "yesterday"\n' });
    const badFormat = await runCliProcess(['audit', 'export', '--format', 'xml'], { env });
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/Allowed choices are csv, json/);
  });

  it('verifies the chain, and names the first bad record after tampering', async () => {
    const ok = await runCliProcess(['audit', 'verify'], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^audit trail intact: 12 records, head [0-9a-f]{64}\n$/);

    // An attacker with write access to the file first has to drop the append-only triggers.
    const db = new Database(join(dir, 'data', 'changeguard.db'));
    expect(() => db.prepare("UPDATE audit_records SET doc = replace(doc, '\"actor\":\"', '\"actor\":\"x') WHERE seq = 5").run()).toThrow(/append-only/);
    db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    db.prepare("UPDATE audit_records SET doc = replace(doc, '\"actor\":\"', '\"actor\":\"x') WHERE seq = 5").run();
    db.close();
    const edited = await runCliProcess(['audit', 'verify'], { env });
    expect(edited).toMatchObject({ code: 1, stderr: 'changeguard: audit trail broken at record 5 (edited): record 5 was altered: its content does not match its hash\n' });
  });
});
