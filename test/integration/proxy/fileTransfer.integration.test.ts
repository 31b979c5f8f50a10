import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRule } from '../../support/factories.js';
import { startProxyHarness, type ProxyHarness } from '../../support/proxyHarness.js';

/**
 * File transfers through the proxy with OpenSSH's own scp (legacy protocol, -O) and sftp, to a
 * real sshd: refused unless the policy allows them; then each is judged and recorded.
 */

function clientOptions(h: ProxyHarness, keyFile: string): string[] {
  return ['-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'];
}

async function withHarness(settings: { fileTransfer?: 'allow' | 'refuse' }) {
  const h = await startProxyHarness({
    rules: [buildRule({ id: 'no-etc-writes', command: ['sftp'], pattern: "^sftp (put|rm|rename|setstat|mkdir|rmdir) '?/etc", action: 'block', risk: 'high' })],
    settings,
  });
  const keyFile = join(h.dir, 'alice_key');
  writeFileSync(keyFile, h.aliceKey, { mode: 0o600 });
  const change = await h.approvedChange();
  const login = `alice+${change.code}+web01@127.0.0.1`;
  return { h, keyFile, change, login };
}

/** Runs an OpenSSH client without blocking the proxy, which lives in this process. */
function run(program: string, args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function scp(h: ProxyHarness, keyFile: string, from: string, to: string) {
  return run('scp', ['-O', '-P', String(h.proxy.port), ...clientOptions(h, keyFile), from, to]);
}

function sftp(h: ProxyHarness, keyFile: string, login: string, batch: string) {
  const batchFile = join(h.dir, `batch-${Date.now()}`);
  writeFileSync(batchFile, batch);
  return run('sftp', ['-P', String(h.proxy.port), ...clientOptions(h, keyFile), '-b', batchFile, login]);
}

describe('file transfers, where the policy does not allow them', () => {
  let t: Awaited<ReturnType<typeof withHarness>>;
  beforeAll(async () => {
    t = await withHarness({});
  });
  afterAll(async () => t?.h.stop());

  it('refuses scp -O and sftp before anything reaches the device, and says why', async () => {
    const source = join(t.h.dir, 'payload.txt');
    writeFileSync(source, 'payload');
    const target = join(t.h.target.workDir, 'scp-refused.txt');
    const copied = await scp(t.h, t.keyFile, source, `${t.login}:${target}`);
    expect(copied.status).not.toBe(0);
    expect(copied.stderr).toContain('file transfer (scp) through changeguard is off');
    expect(existsSync(target)).toBe(false);

    const listed = await sftp(t.h, t.keyFile, t.login, `put ${source} ${join(t.h.target.workDir, 'sftp-refused.txt')}\n`);
    expect(listed.status).not.toBe(0);
    expect(existsSync(join(t.h.target.workDir, 'sftp-refused.txt'))).toBe(false);

    const commands = await t.h.store.commands.listByChange(t.change.code);
    expect(commands.map((c) => [c.verdict, c.ruleIds])).toContainEqual(['block', ['(transfer)']]);
    expect(t.h.notifier.types()).toContain('command.block');
  });
});

describe('file transfers, where the policy allows them', () => {
  let t: Awaited<ReturnType<typeof withHarness>>;
  beforeAll(async () => {
    t = await withHarness({ fileTransfer: 'allow' });
  });
  afterAll(async () => t?.h.stop());

  it('copies with scp -O and records the file names, not the data', async () => {
    const source = join(t.h.dir, 'report.csv');
    writeFileSync(source, 'a,b\n1,2\n');
    const target = join(t.h.target.workDir, 'report.csv');
    const copied = await scp(t.h, t.keyFile, source, `${t.login}:${target}`);
    expect(copied.stderr, JSON.stringify(copied)).toBe("");
    expect(copied.status, copied.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('a,b\n1,2\n');
    const sessions = await t.h.store.sessions.listByChange(t.change.code);
    await expect.poll(async () => (await t.h.store.sessions.findById(sessions.at(-1)!.id))?.state).toBe('ended');
    const recording = readFileSync(join(t.h.dir, 'recordings', `${sessions.at(-1)!.id}.cast`), 'utf8');
    expect(recording).toContain('scp upload report.csv (8 bytes, mode 0644)');
    expect(recording).not.toContain('1,2');
  });

  it('judges each sftp request: allowed ones pass, refused ones get permission denied and alert', async () => {
    const source = join(t.h.dir, 'notes.txt');
    writeFileSync(source, 'notes');
    const allowed = join(t.h.target.workDir, 'sftp-ok.txt');
    const result = await sftp(t.h, t.keyFile, t.login, [`put ${source} ${allowed}`, `-put ${source} /etc/changeguard-sftp-test`, `-rm /etc/hostname`, `ls ${t.h.target.workDir}`].join('\n') + '\n');
    expect(result.status, result.stderr + result.stdout).toBe(0);
    expect(readFileSync(allowed, 'utf8')).toBe('notes');
    expect(existsSync('/etc/changeguard-sftp-test')).toBe(false);
    expect(existsSync('/etc/hostname')).toBe(true);
    expect(result.stderr).toMatch(/Permission denied/i);
    const lines = (await t.h.store.commands.listByChange(t.change.code)).map((c) => [c.line, c.verdict]);
    expect(lines).toEqual(expect.arrayContaining([[`sftp put '${allowed}'`, 'allow'], ["sftp put '/etc/changeguard-sftp-test'", 'block'], ["sftp rm '/etc/hostname'", 'block']]));
    expect(t.h.notifier.types()).toContain('command.block');
  });

  it('still refuses other subsystems', async () => {
    const result = await run('ssh', ['-p', String(t.h.proxy.port), ...clientOptions(t.h, t.keyFile), '-s', t.login, 'netconf']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('the netconf subsystem is not available through changeguard');
  });
});
