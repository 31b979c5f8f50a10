import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';

const SSHD = '/usr/sbin/sshd';
/** The ordinary account sessions land on: interactive PTYs need sshd as root with PAM. */
export const TARGET_USER = 'cgtarget';

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** OpenSSH public key line of the target's host key (what a device pins). */
  readonly hostKey: string;
  /** Private key file changeguard logs in with (the device credential). */
  readonly deviceKeyFile: string;
  /** A directory the target user writes marker files into; tests look at it directly. */
  readonly workDir: string;
  readonly dir: string;
  /**
   * Kills (SIGKILL) every process the listening sshd started: the per-connection sshd
   * processes and the shells under them, as when the device drops mid-session. The listener
   * stays up. Returns how many processes were killed.
   */
  dropConnections(): number;
  stop(): Promise<void>;
}

/**
 * A real OpenSSH server on a free loopback port with its own configuration, host key and
 * authorized_keys, logging in as an ordinary account. Needs root (as CI runs) and Debian's
 * openssh-server; fails with a message saying so otherwise.
 */
export async function startSshTarget(options: { extraConfig?: string } = {}): Promise<SshTarget> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: the proxy tests need a real OpenSSH server (apt-get update && apt-get install -y openssh-server)`);
  }
  if (process.getuid?.() !== 0) throw new Error('the proxy tests start sshd as root (UsePAM for PTYs); run them as root');
  ensureTargetUser();
  const uid = Number(execFileSync('id', ['-u', TARGET_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', TARGET_USER], { encoding: 'utf8' }).trim());

  const dir = mkdtempSync(join(tmpdir(), 'changeguard-sshd-'));
  // sshd reads authorized_keys as the target user, who must be able to reach it.
  chmodSync(dir, 0o755);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'changeguard-device', '-f', join(dir, 'device_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'device_key.pub')), { mode: 0o644 });
  const workDir = join(dir, 'work');
  mkdirSync(workDir, { mode: 0o755 });
  chownSync(workDir, uid, gid);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM yes',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `AllowUsers ${TARGET_USER}`,
      'PrintMotd no',
      'PrintLastLog no',
      'AllowTcpForwarding yes',
      'MaxStartups 300',
      'MaxSessions 300',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      options.extraConfig ?? '',
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    await waitForPort(port, child, () => stderr);
  } catch (error) {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const hostKey = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return {
    host: '127.0.0.1',
    port,
    user: TARGET_USER,
    hostKey,
    deviceKeyFile: join(dir, 'device_key'),
    workDir,
    dir,
    dropConnections: () => killDescendants(child.pid!),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Processes below `root` (children first found, then theirs), read from /proc. */
function killDescendants(root: number): number {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) may hold spaces and parentheses: fields after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  const below = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (!below.has(pid) && below.has(ppid)) {
        below.add(pid);
        grew = true;
      }
    }
  }
  below.delete(root);
  for (const pid of below) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return below.size;
}

function ensureTargetUser(): void {
  const exists = () => {
    try {
      execFileSync('id', [TARGET_USER], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (exists()) return;
  try {
    execFileSync('useradd', ['-m', '-s', '/bin/bash', TARGET_USER], { stdio: 'pipe' });
  } catch (error) {
    // Another test file may have created it at the same moment.
    if (!exists()) throw error;
  }
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}): ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on ${port} within 15 s: ${stderr()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
