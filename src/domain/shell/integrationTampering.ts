/**
 * Commands that would switch off changeguard's run-time check in the device's shell: the
 * DEBUG trap that lets only judged commands run, the options it depends on, the variables it
 * reads and the builtins it calls. Such a line is not a command to judge but an attack on the
 * judge: the session is cut (docs/ARCHITECTURE.md, "Capture protocol").
 */

/** Prefix of every variable and array of the executor: no user command has a reason to name one. */
export const EXECUTOR_PREFIX = '__cg_';

/** Variables the DEBUG trap reads: unset or declared local, they would lie to it. */
const TRAP_VARIABLES = new Set(['BASH_COMMAND', 'BASH_SOURCE', 'FUNCNAME', 'BASH_SUBSHELL', 'BASH_LINENO', 'BASH_ARGV', 'BASH_ARGC', 'BASHPID']);

/** Builtins and keywords: a function with one of these names would run in their place. */
export const BASH_BUILTINS: ReadonlySet<string> = new Set([
  '.', ':', '[', 'alias', 'bg', 'bind', 'break', 'builtin', 'caller', 'cd', 'command', 'compgen', 'complete', 'compopt', 'continue',
  'declare', 'dirs', 'disown', 'echo', 'enable', 'eval', 'exec', 'exit', 'export', 'false', 'fc', 'fg', 'getopts', 'hash', 'help',
  'history', 'jobs', 'kill', 'let', 'local', 'logout', 'mapfile', 'popd', 'printf', 'pushd', 'pwd', 'read', 'readarray', 'readonly',
  'return', 'set', 'shift', 'shopt', 'source', 'suspend', 'test', 'times', 'trap', 'true', 'type', 'typeset', 'ulimit', 'umask',
  'unalias', 'unset', 'wait', 'if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'select', 'while', 'until', 'do', 'done',
  'in', 'function', 'time', '{', '}', '!', '[[', ']]', 'coproc',
]);

const DECLARERS = new Set(['declare', 'typeset', 'local', 'readonly', 'export', 'unset']);

/** Why `program args` tampers with the executor, or undefined. */
export function tamperingReason(program: string, args: readonly string[]): string | undefined {
  if (program.includes(EXECUTOR_PREFIX) || args.some((a) => a.includes(EXECUTOR_PREFIX))) {
    return `it names changeguard's own shell variables (${EXECUTOR_PREFIX}...)`;
  }
  switch (program) {
    case 'trap': {
      const signals = trapSignals(args);
      const hit = signals.find((s) => /^(SIG)?(DEBUG|RETURN)$/i.test(s));
      return hit === undefined ? undefined : `trap on ${hit.toUpperCase()} would replace changeguard's command check`;
    }
    case 'set': {
      const off = args.find((a) => /^\+[A-Za-z]*T/.test(a));
      if (off !== undefined) return `set ${off} would stop functions and subshells inheriting changeguard's check`;
      for (let i = 0; i < args.length; i++) {
        if ((args[i] === '+o' && args[i + 1] === 'functrace') || ((args[i] === '-o' || args[i] === '--posix') && (args[i + 1] === 'posix' || args[i] === '--posix'))) {
          return `set ${args[i]} ${args[i + 1] ?? ''} would change how changeguard's check runs`.trimEnd();
        }
      }
      return undefined;
    }
    case 'shopt': {
      const unsetting = args.includes('-u');
      const setting = args.includes('-s');
      const names = args.filter((a) => !a.startsWith('-'));
      if (unsetting && names.some((n) => n === 'extdebug' || n === 'functrace')) return 'shopt -u extdebug would let refused commands run';
      if (setting && names.some((n) => n === 'expand_aliases' || n === 'posix')) return `shopt -s ${names.join(' ')} would change what the judged text runs`;
      return undefined;
    }
    case 'enable':
      return args.length === 0 || args.every((a) => a === '-p' || a === '-a' || a === '-s') ? undefined : 'enable can load or switch off builtins changeguard relies on';
    case 'stty': {
      // The executor's markers and frames travel through the terminal: settings that rewrite
      // its output or input (olcuc upper-cases the marker, raw stops line reads) break them.
      const hit = args.find((a) => /^-?(olcuc|xcase|iuclc|ocrnl|onlret|onocr|inlcr|igncr|icanon|raw|cooked|nl|ofill|opost|isig|icrnl|onlcr|extproc)$/.test(a));
      return hit === undefined ? undefined : `stty ${hit} would change the terminal changeguard's check talks through`;
    }
    case 'bind':
      return args.length === 0 || args.every((a) => /^-[PpSsVvl]$/.test(a)) ? undefined : 'bind can make keys run commands';
    default:
      break;
  }
  if (DECLARERS.has(program)) {
    const hit = args.map((a) => a.replace(/^-[A-Za-z]*$/, '').replace(/[=[+].*$/, '')).find((name) => TRAP_VARIABLES.has(name));
    if (hit !== undefined) return `${program} ${hit} would hide what bash is running from changeguard's check`;
  }
  return undefined;
}

/** A function definition named after a builtin, or with a `/`, would run in the builtin's or program's place. */
export function functionNameTampering(name: string): string | undefined {
  if (name.includes(EXECUTOR_PREFIX)) return `a function named ${name} would replace part of changeguard's check`;
  if (BASH_BUILTINS.has(name)) return `a function named ${name} would replace the ${name} builtin`;
  if (name.includes('/')) return `a function named ${name} would run in place of that program`;
  return undefined;
}

function trapSignals(args: readonly string[]): string[] {
  const rest = args[0] === '--' ? args.slice(1) : args;
  if (rest.length === 0 || rest[0] === '-p' || rest[0] === '-l') return [];
  // `trap SIG` (one word that is a signal) resets it; otherwise the first word is the action.
  if (rest.length === 1) return /^(SIG)?[A-Z0-9+-]+$/i.test(rest[0] as string) ? [rest[0] as string] : [];
  return rest.slice(1);
}
