import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/freePort.js';
import { startProxyHarness, stripAnsi, type ProxyHarness } from '../support/proxyHarness.js';

/**
 * The README's examples, executed as written: the quick start, the command-line examples and
 * the four `ssh` lines of "SSH proxy" (OpenSSH's client through the real proxy to a real sshd).
 * A line this test does not know fails it, so an example cannot change without being run.
 * What stands in for what is said where it happens (the server and CLI run from source; the
 * ssh lines get their key and host from an ssh config file, and the test proxy's port).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const CLI_FROM_SOURCE = `node --import tsx ${join(ROOT, 'src', 'cli.ts')}`;

/** The ```sh blocks after `heading` (up to the next heading of the same level), one array of lines each. */
function shBlocks(heading?: string): string[][] {
  let text = README;
  if (heading) {
    const start = README.indexOf(`\n${heading}\n`);
    if (start < 0) throw new Error(`README has no heading "${heading}"`);
    const level = heading.split(' ')[0]!;
    const rest = README.slice(start + heading.length + 2);
    const end = rest.search(new RegExp(`\\n${level} `));
    text = end < 0 ? rest : rest.slice(0, end);
  }
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.split('\n').filter((line) => line.trim() !== ''));
}

/** A line without its trailing comment (two spaces or more, then `#`). */
function command(line: string): string {
  return line.replace(/\s{2,}#\s.*$/, '').trim();
}

/** The environment a user's shell would have: nothing changeguard reads from the test runner. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(PORT|BIND|PUBLIC_URL|DATA_DIR|MONGODB_URI|POLICY_FILE|SLACK_|CHANGEGUARD_|TRUST_PROXY|PROXY_|LOG_LEVEL)/.test(name)));
  return { ...env, ...extra };
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function bash(script: string, options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string }): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    // A command that reads nothing may be gone before its stdin is written.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

describe('the quick start', () => {
  it('`cp -n .env.example .env && npm install && npm start` gives a server with the example policy and local sign-in', async () => {
    const first = command(shBlocks()[0]![0]!);
    expect(first.split(' && ')).toEqual(['cp -n .env.example .env', 'npm install', 'npm start']);
    // `npm start` builds, then runs dist/main.js; here the source stands for dist (`npm ci` already ran).
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe('npm run build && node dist/main.js');

    const dir = mkdtempSync(join(tmpdir(), 'changeguard-readme-start-'));
    try {
      copyFileSync(join(ROOT, '.env.example'), join(dir, '.env.example'));
      symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
      const copied = await bash(first.split(' && ')[0]!, { cwd: dir, env: cleanEnv({}) });
      expect(copied.code).toBe(0);
      // The ports of .env would collide with other test runs: variables already set win over .env.
      const port = await freePort();
      const proxyPort = await freePort();
      // tsx from the repository's node_modules: this working directory has none.
      const tsx = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
      const server = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src', 'main.ts')], {
        cwd: dir,
        env: cleanEnv({ PORT: String(port), PROXY_PORT: String(proxyPort) }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      server.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      server.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = new Promise<number | null>((done) => server.on('exit', (code) => done(code)));
      try {
        const deadline = Date.now() + 45_000;
        while (!output.includes('changeguard started')) {
          if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not start:\n${output}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const started = output.split('\n').find((line) => line.includes('changeguard started'))!;
        expect(started).toContain(`changeguard started: open http://127.0.0.1:${port}`);
        expect(started).toContain('store SQLite data/changeguard.db');
        expect(started).toContain('web sign-in: pick a user, no password (loopback only)');
        expect(started).toContain('policy examples/policy.yml (6 users, 1 group, 1 server, 4 rules)');
        const signIn = await (await fetch(`http://127.0.0.1:${port}/signin`)).text();
        expect(signIn).toContain('<option value="alice">Alice (requester) (alice) · requester</option>');
      } finally {
        server.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the command-line examples', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'changeguard-readme-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('run as written, in order, on a fresh DATA_DIR', async () => {
    const [block] = shBlocks('## Command-line tool');
    expect(block, 'the CLI examples block').toBeDefined();
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const expectations: Record<string, { stdin?: string; check: (run: Run) => void }> = {
      'npx changeguard --version': { check: (r) => expect(r.stdout).toBe(`${version}\n`) },
      'npx changeguard policy check examples/policy.yml': { check: (r) => expect(r.stdout).toBe('policy.yml: valid (6 users, 1 groups, 1 devices, 4 rules)\n') },
      "echo 'rm -rf /var/www' | npx changeguard rules test --policy examples/policy.yml --user alice --device web01": {
        check: (r) => expect(r.stdout).toBe('block     rm -rf /var/www  (no-recursive-rm; risk high)\n'),
      },
      'npx changeguard policy import examples/policy.yml': { check: (r) => expect(r.stdout).toMatch(/^policy\.yml: \d+ created, 0 updated, 0 deleted, \d+ unchanged$/m) },
      "echo 'systemctl restart nginx' | npx changeguard rules test --stored --json": {
        check: (r) => expect(JSON.parse(r.stdout)).toMatchObject({ command: 'systemctl restart nginx', action: 'allow', rules: ['service-restarts'], risk: 'medium' }),
      },
      'npx changeguard audit verify': { check: (r) => expect(r.stdout).toMatch(/^audit trail intact: \d+ records, head [0-9a-f]{64}\n$/) },
      'npx changeguard audit export --format csv --since 7d | head -3': {
        check: (r) => {
          const lines = r.stdout.trimEnd().split(/\r?\n/);
          expect(lines).toHaveLength(3);
          expect(lines[0]).toMatch(/^Seq,Date,Time,Status,Event type,/);
        },
      },
      'npx changeguard password hash': { stdin: 'correct horse battery staple\n', check: (r) => expect(r.stdout).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+\n$/) },
    };
    const lines = block!.map(command);
    expect(lines.filter((line) => !(line in expectations)), 'README lines this test does not know').toEqual([]);
    expect(lines).toHaveLength(Object.keys(expectations).length);
    for (const line of lines) {
      const expectation = expectations[line]!;
      const run = await bash(line.replaceAll('npx changeguard', CLI_FROM_SOURCE), {
        cwd: ROOT,
        env: cleanEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
        stdin: expectation.stdin,
      });
      expect(run.stderr, line).toBe('');
      expect(run.code, line).toBe(0);
      expectation.check(run);
    }
  });
});

describe('the ssh examples, through the proxy with OpenSSH', () => {
  let h: ProxyHarness;
  let sshEnv: NodeJS.ProcessEnv;
  let lines: string[];

  beforeAll(async () => {
    h = await startProxyHarness();
    await h.approvedChange({ code: 'CHG-42', title: 'Restart nginx after the certificate', devices: ['web01'] });
    // The README's host and alice's key, as an ssh config file would give them; `ssh` on PATH reads it.
    const key = join(h.dir, 'alice_key');
    writeFileSync(key, h.aliceKey, { mode: 0o600 });
    const config = join(h.dir, 'ssh_config');
    writeFileSync(
      config,
      [
        'Host changeguard.example.com',
        '  HostName 127.0.0.1',
        `  IdentityFile ${key}`,
        '  IdentitiesOnly yes',
        '  StrictHostKeyChecking no',
        '  UserKnownHostsFile /dev/null',
        '  LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const bin = join(h.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${config} "$@"\n`);
    chmodSync(join(bin, 'ssh'), 0o755);
    sshEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, SHELL: '/bin/bash', TERM: 'xterm' };
    const [block] = shBlocks('## SSH proxy');
    lines = block!.map(command);
  });
  afterAll(async () => h?.stop());

  /** The README line with the test proxy's port for 2222. */
  const asWritten = (index: number) => {
    const line = lines[index];
    if (!line) throw new Error(`README's SSH proxy block has no line ${index + 1}`);
    expect(line).toContain('-p 2222 ');
    return line.replace('-p 2222 ', `-p ${h.proxy.port} `);
  };

  /** A line run in a terminal (script(1)), answering the proxy's questions as a person would. */
  async function interactive(line: string, answers: readonly [RegExp | string, string][]): Promise<string> {
    const child = spawn('script', ['-qefc', line, '/dev/null'], { env: sshEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      let from = 0;
      for (const [waitFor, answer] of answers) {
        const deadline = Date.now() + 15_000;
        // Text as shown (escapes removed); a pattern sees the raw stream (prompt markers are escapes).
        const seen = () => (typeof waitFor === 'string' ? stripAnsi(output.slice(from)).includes(waitFor) : waitFor.test(output.slice(from)));
        while (!seen()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(waitFor)}:\n${stripAnsi(output).slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        from = output.length;
        child.stdin.write(answer);
      }
      await exited;
      return stripAnsi(output);
    } finally {
      child.kill();
    }
  }

  /** changeguard's prompt (alice@web01:/dir$ ), followed only by cursor moves: it waits for a command. */
  const promptMarker = /alice@web01:[^\r\n]*[$#] (?:\x1b\[[0-9;?]*[A-Za-z])*$/;

  it('has the four lines this test runs', () => {
    expect(lines).toEqual([
      'ssh -p 2222 alice+CHG-42+web01@changeguard.example.com',
      'ssh -p 2222 alice@changeguard.example.com',
      "ssh -p 2222 alice+CHG-42+web01@changeguard.example.com 'systemctl status nginx'",
      `ssh -p 2222 -o 'SetEnv=CHANGEGUARD_JUSTIFICATION="restart after cert"' alice+CHG-42+web01@changeguard.example.com 'systemctl restart nginx'`,
    ]);
  });

  it('line 1: interactive, asks for a justification', async () => {
    const output = await interactive(asWritten(0), [
      ['Justification for', 'following the README\r'],
      [promptMarker, 'exit\r'],
    ]);
    expect(output).toContain('Justification for');
    const sessions = await h.store.sessions.listByChange('CHG-42');
    expect(sessions.find((s) => s.justification === 'following the README')).toMatchObject({ kind: 'shell', user: 'alice', device: 'web01' });
  });

  it('line 2: a menu of the changes and servers open to alice', async () => {
    const output = await interactive(asWritten(1), [
      ['Choose 1-1:', '1\r'],
      ['Justification for', 'picked from the menu\r'],
      [promptMarker, 'exit\r'],
    ]);
    expect(output).toContain('Changes and servers open to alice now:');
    expect(output).toMatch(/1\) CHG-42 {2}web01 {2}Restart nginx after the certificate/);
    expect((await h.store.sessions.listByChange('CHG-42')).some((s) => s.justification === 'picked from the menu')).toBe(true);
  });

  it('line 3: an exec command, judged before it is sent', async () => {
    const run = await bash(asWritten(2), { cwd: h.dir, env: sshEnv });
    expect(run.stderr).not.toMatch(/changeguard:|Permission denied|Invalid/);
    const session = (await h.store.sessions.listByChange('CHG-42')).find((s) => s.kind === 'exec' && s.justification === '');
    expect(session).toBeDefined();
    const commands = await h.store.commands.listBySession(session!.id);
    expect(commands.map((c) => [c.line, c.verdict])).toEqual([['systemctl status nginx', 'allow']]);
  });

  it('line 4: an exec command with its justification in SetEnv, quoted as written', async () => {
    const run = await bash(asWritten(3), { cwd: h.dir, env: sshEnv });
    expect(run.stderr).not.toContain('Invalid SetEnv');
    expect(run.stderr).not.toMatch(/changeguard:|Permission denied/);
    const session = (await h.store.sessions.listByChange('CHG-42')).find((s) => s.justification === 'restart after cert');
    expect(session).toMatchObject({ kind: 'exec', user: 'alice', device: 'web01' });
    const commands = await h.store.commands.listBySession(session!.id);
    expect(commands.map((c) => [c.line, c.verdict])).toEqual([['systemctl restart nginx', 'allow']]);
  });

  it('the old unquoted form is what ssh refused', async () => {
    // What the README said before: the shell hands ssh `SetEnv=NAME=restart after cert`, which it splits and refuses.
    const run = await bash(`ssh -G -o SetEnv=CHANGEGUARD_JUSTIFICATION="restart after cert" alice+CHG-42+web01@changeguard.example.com`, { cwd: h.dir, env: sshEnv });
    expect(run.stderr).toContain('Invalid SetEnv');
    expect(run.code).not.toBe(0);
  });
});
