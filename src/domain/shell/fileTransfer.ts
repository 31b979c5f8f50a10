import type { ParsedLine } from './simpleCommand.js';

/**
 * The programs an ssh client starts on the server to move files: `scp -t` (upload) and
 * `scp -f` (download) for `scp -O`, rsync's `--server`, and sftp servers. What passes through
 * them is file data, not commands, so they are allowed only where the policy allows
 * transfers (`settings.fileTransfer`). Returns the program and direction, or undefined.
 */
export function transferServer(parsed: ParsedLine): { readonly program: string; readonly direction: 'upload' | 'download' | 'both' } | undefined {
  for (const command of parsed.commands) {
    if (command.program === 'scp') {
      const flags = command.args.filter((a) => /^-[A-Za-z]+$/.test(a)).join('');
      if (flags.includes('t')) return { program: 'scp', direction: 'upload' };
      if (flags.includes('f')) return { program: 'scp', direction: 'download' };
    }
    if (command.program === 'rsync' && command.args.includes('--server')) {
      return { program: 'rsync', direction: command.args.includes('--sender') ? 'download' : 'upload' };
    }
    if (command.program === 'sftp-server' || command.program === 'internal-sftp') return { program: command.program, direction: 'both' };
  }
  return undefined;
}
