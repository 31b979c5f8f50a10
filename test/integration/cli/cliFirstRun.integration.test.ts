import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../../src/services/access/passwords.js';
import { runCliProcess } from '../../support/runCliProcess.js';

/** The CLI cannot mislead: it refuses a database that is not there, says its version, and stops quietly when its reader does. */

const root = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'changeguard-cli-first-'));
  env = { DATA_DIR: join(dir, 'data'), MONGODB_URI: '' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('read-only commands on a missing database', () => {
  it.each([
    [['audit', 'verify']],
    [['audit', 'verify', '--json']],
    [['audit', 'export', '--format', 'csv']],
    [['rules', 'test', '--stored']],
  ])('%j refuses instead of creating an empty one', async (args) => {
    const mistyped = { DATA_DIR: join(dir, 'dta'), MONGODB_URI: '' };
    const result = await runCliProcess(args, { env: mistyped, stdin: 'ls\n' });
    expect(result).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `changeguard: no changeguard database at ${join(dir, 'dta', 'changeguard.db')} (DATA_DIR is ${join(dir, 'dta')}): check DATA_DIR, or start changeguard once to create it\n`,
    });
    expect(existsSync(join(dir, 'dta'))).toBe(false);
  });
});

describe('changeguard --version', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) expect(await runCliProcess([flag], { env })).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('rules test --stored', () => {
  it('judges under the policy the store holds, as the proxy does', async () => {
    expect((await runCliProcess(['policy', 'import', join(root, 'examples', 'policy.yml')], { env })).code).toBe(0);
    const result = await runCliProcess(['rules', 'test', '--stored', '--json'], { env, stdin: 'rm -rf /var/cache\nsystemctl restart nginx\nls\n' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { action: string; rules: string[] }))).toMatchObject([
      { action: 'block', rules: ['no-recursive-rm'] },
      { action: 'allow', rules: ['service-restarts'] },
      { action: 'allow', rules: [] },
    ]);
    const both = await runCliProcess(['rules', 'test', '--stored', '--policy', 'x.yml'], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/option '--policy <file>' cannot be used with option '--stored'/);
    const neither = await runCliProcess(['rules', 'test'], { env });
    expect(neither).toMatchObject({ code: 2, stderr: 'changeguard: rules test: give --policy FILE, or --stored for the policy in the store\n' });
  });
});

describe('a reader that stops early', () => {
  it('ends `audit export | head -1` quietly, with no stack trace', async () => {
    // Enough records that the export outruns the pipe's buffer and meets the closed end.
    const rules = Array.from({ length: 2500 }, (_, i) => `  - { id: rule-${i}, command: [program${i}], action: allow, message: "rule number ${i}, long enough" }`).join('\n');
    writeFileSync(join(dir, 'many.yml'), `rules:\n${rules}\n`);
    expect((await runCliProcess(['policy', 'import', join(dir, 'many.yml')], { env })).code).toBe(0);
    const script = `node --import tsx src/cli.ts audit export --format csv | head -1; echo "exit \${PIPESTATUS[0]}" >&2`;
    const result = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', () => resolve({ stdout, stderr }));
    });
    expect(result.stdout).toMatch(/^Seq,Date,Time,Status,Event type,/);
    expect(result.stdout.split('\n')).toHaveLength(2);
    expect(result.stderr).toBe('exit 0\n');
  });
});

describe('changeguard password hash', () => {
  it('prints a hash the policy accepts and sign-in verifies, from the first line of stdin', async () => {
    const result = await runCliProcess(['password', 'hash'], { env, stdin: 'correct horse battery staple\nignored\n' });
    expect(result.code).toBe(0);
    const hash = result.stdout.trim();
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    writeFileSync(join(dir, 'pw.yml'), `users:\n  - { id: bob, passwordHash: "${hash}" }\n`);
    expect((await runCliProcess(['policy', 'check', join(dir, 'pw.yml')], { env })).code).toBe(0);
    expect(await runCliProcess(['password', 'hash'], { env, stdin: 'hunter2\n' })).toMatchObject({ code: 2, stdout: '', stderr: 'changeguard: a password needs at least 12 characters\n' });
    expect(await runCliProcess(['password', 'hash'], { env, stdin: '' })).toMatchObject({ code: 2, stderr: 'changeguard: password hash: no password on stdin\n' });
  });
});
