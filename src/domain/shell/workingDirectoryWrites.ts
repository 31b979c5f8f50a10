import { installReason } from './programKinds.js';
import type { ParsedLine, SimpleCommand } from './simpleCommand.js';

/**
 * The parser judges a line by its text alone (and caches it by text), so `cat > pre-commit`
 * is harmless to it; in `.git/hooks` or `/etc/cron.d` it installs code that runs later,
 * unjudged. This resolves every relative write target against the working directory the
 * device's shell reported before the line, following the line's own `cd`s, and turns a
 * command that writes a start-up file or into a program directory opaque, as the parser does
 * for the same path written out in full.
 *
 * A `cd` whose directory is computed (`cd "$d"`, `cd -`, `cd` alone, `cd ..` above an
 * unknown directory) ends what can be known: later relative names are judged as written, as
 * before. A `cd` inside a subshell is followed as if it were not: that may refuse a
 * harmless write, never allow a harmful one.
 */
export function judgeWritesFrom(parsed: ParsedLine, workingDirectory: string | undefined): ParsedLine {
  // '' is "a directory we do not know": relative steps below it still name a relative path.
  let directory: string | null = workingDirectory !== undefined && workingDirectory.startsWith('/') ? workingDirectory : '';
  let changed = false;
  const commands = parsed.commands.map((command): SimpleCommand => {
    if (command.program === 'cd' || command.program === 'pushd') {
      directory = directory === null ? null : changeDirectory(directory, command.args);
      return command;
    }
    if (directory === null || directory === '' || command.opaque || command.tampering !== undefined || command.writes === undefined) return command;
    const resolved = command.writes.filter(isRelative).map((target) => joinPath(directory as string, target));
    const reason = installReason(resolved.filter((path): path is string => path !== null));
    if (reason === undefined) return command;
    changed = true;
    return Object.freeze({ ...command, opaque: true, opaqueReason: reason, opaqueKind: 'structure' as const });
  });
  return changed ? Object.freeze({ ...parsed, commands: Object.freeze(commands), opaque: true }) : parsed;
}

function isRelative(target: string): boolean {
  return target !== '' && !target.startsWith('/') && !target.startsWith('~') && !target.startsWith('$') && !target.startsWith('&');
}

/** The directory after `cd ARGS` from `from` ('' when unknown), or null when it cannot be known. */
function changeDirectory(from: string, args: readonly string[]): string | null {
  const operands = args.filter((arg) => !/^-[LPe@]*$/.test(arg) || arg === '-');
  const target = operands[0];
  if (target === undefined || target === '-' || /[$`*?[~]/.test(target) || target.startsWith('+')) return null;
  if (target.startsWith('/')) return normalise(target);
  return joinPath(from, target);
}

/** `base/relative`, normalised; relative when the base is; null when `..` climbs above a relative base. */
function joinPath(base: string, relative: string): string | null {
  const combined = base === '' ? relative : `${base}/${relative}`;
  if (combined.startsWith('/')) return normalise(combined);
  const parts: string[] = [];
  for (const part of combined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.pop() === undefined) return null;
    } else parts.push(part);
  }
  return parts.join('/');
}

/** An absolute path without `.`, `..` or doubled slashes (`..` at the root stays at the root, as in the kernel). */
function normalise(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
