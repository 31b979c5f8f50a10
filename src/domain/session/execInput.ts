import type { SimpleCommand } from '../shell/simpleCommand.js';
import { unwrap } from '../shell/wrappers.js';

/** Interpreters that, given no script, run what arrives on stdin. */
const INTERPRETERS = new Set(['python', 'python2', 'python3', 'perl', 'ruby', 'node', 'nodejs', 'php', 'lua', 'tclsh', 'irb']);

/**
 * An exec command that would start a shell or interpreter reading its commands from the
 * connection (`ssh proxy bash`, `sudo -s`, `python3`): what it then runs never passes a
 * prompt, so the proxy refuses it whatever the rules say (and a policy backtest keeps that).
 */
export function readsCommandsFromConnection(command: SimpleCommand): boolean {
  if (command.program === '') return false;
  const unwrapped = unwrap(
    command.program,
    command.args.map((value) => ({ value, literal: true })),
  );
  if (unwrapped?.kind === 'opaque' && unwrapped.reason.includes('interactive shell')) return true;
  if (INTERPRETERS.has(command.program)) {
    return !command.args.some((arg) => !arg.startsWith('-')) && !command.args.some((arg) => ['-c', '-e', '-r', '-E'].includes(arg));
  }
  return false;
}
