/**
 * Programs that run code changeguard cannot read before it runs: what they do depends on
 * text that is not on the command line (a script file, a REPL's input, an editor's `:!`
 * escape). Each is opaque, and follows `settings.opaque`, unless a policy rule names the
 * program explicitly as allowed.
 */

/** Interpreters: inline code (`-c`, `-e`), a script file, a module or a REPL. */
const INTERPRETERS = new Set([
  'python', 'python2', 'python3', 'pypy', 'pypy3', 'ipython', 'ipython3',
  'perl', 'perl5', 'ruby', 'irb', 'node', 'nodejs', 'deno', 'bun', 'php', 'lua', 'luajit', 'lua5.1', 'lua5.2', 'lua5.3', 'lua5.4',
  'tclsh', 'wish', 'expect', 'Rscript', 'R', 'julia', 'pwsh', 'powershell', 'groovy', 'jshell', 'scala', 'ghci', 'runghc',
  'guile', 'racket', 'sbcl', 'clisp', 'ocaml', 'gawk', 'osascript',
]);

/** Shells and terminal multiplexers: started without a command, they read commands unseen. */
export const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ksh93', 'mksh', 'pdksh', 'ash', 'yash', 'posh', 'csh', 'tcsh', 'fish', 'rbash']);

const SESSION_PROGRAMS = new Set(['script', 'tmux', 'screen', 'byobu', 'login', 'newgrp', 'sg', 'machinectl', 'ssh', 'telnet', 'rsh', 'rlogin', 'mosh', 'dbus-run-session']);

/** Editors, pagers and clients with a shell escape (`:!cmd`, `!cmd`, `\!`, `.shell`). */
const ESCAPE_PROGRAMS = new Set([
  'vi', 'vim', 'nvim', 'view', 'vimdiff', 'gvim', 'ex', 'ed', 'emacs', 'emacsclient', 'nano', 'pico', 'joe', 'jed', 'mcedit', 'mc',
  'less', 'more', 'most', 'pg', 'man', 'info', 'mail', 'mailx', 'ftp', 'lftp', 'tftp', 'gdb', 'lldb', 'mysql', 'mariadb', 'psql',
  'sqlite3', 'dc', 'bc', 'ghc', 'nmap', 'zip', 'tar', 'rsync', 'git', 'socat', 'nc', 'ncat', 'netcat', 'crontab', 'at', 'batch',
  'visudo', 'vipw', 'vigr', 'sudoedit', 'fc',
]);

/**
 * Programs in ESCAPE_PROGRAMS that only reach a shell or an editor in some forms: the
 * others are plain commands (`tar czf x.tgz dir`, `git status`, `zip -r a.zip d`).
 */
const ESCAPES_ONLY_WHEN: ReadonlyMap<string, (args: readonly string[]) => string | undefined> = new Map([
  ['tar', (args) => (args.some((a) => /^--(to-command|use-compress-program|checkpoint-action|info-script|new-volume-script|rsh-command)\b/.test(a) || /^-[A-Za-z]*[IF]/.test(a)) ? 'runs a program named in its options' : undefined)],
  ['zip', (args) => (args.some((a) => a === '-TT' || a.startsWith('--unzip-command')) ? 'runs a program named in its options' : undefined)],
  ['rsync', (args) => (args.some((a) => a === '-e' || a.startsWith('--rsh') || a.startsWith('--rsync-path') || /^-[A-Za-z]*e/.test(a)) ? 'runs a remote shell named in its options' : undefined)],
  ['git', gitEscape],
  ['nmap', (args) => (args.some((a) => a === '--interactive' || a.startsWith('--script')) ? 'runs scripts' : undefined)],
  ['socat', (args) => (args.some((a) => /(^|[,:])(exec|system):/i.test(a)) ? 'runs a program named in its address' : undefined)],
  ['nc', ncEscape],
  ['ncat', ncEscape],
  ['netcat', ncEscape],
  ['crontab', (args) => (args.some((a) => a === '-l' || a === '-r') && !args.includes('-e') ? undefined : 'installs commands that run later, unseen')],
  ['bc', () => undefined],
]);

function gitEscape(args: readonly string[]): string | undefined {
  if (args.some((a) => a === '-c' || a.startsWith('--exec-path') || a.startsWith('--config-env'))) return 'git -c can point git at a program to run';
  const sub = args.find((a) => !a.startsWith('-'));
  if (sub === 'commit' && !args.some((a) => a === '-m' || a.startsWith('--message') || a === '-F' || a.startsWith('--file') || a === '--no-edit' || /^-[A-Za-z]*m/.test(a))) return 'git commit opens an editor';
  if (sub === 'rebase' && args.some((a) => a === '-i' || a === '--interactive' || a.startsWith('--exec') || a === '-x')) return 'git rebase runs an editor or commands';
  if (sub === 'config' || sub === 'filter-branch' || sub === 'bisect' || sub === 'difftool' || sub === 'mergetool' || sub === 'submodule' || sub === 'help') return `git ${sub} can run programs`;
  if (sub === 'log' || sub === 'diff' || sub === 'show' || sub === 'blame' || sub === 'branch' || sub === 'tag' || sub === 'grep') return undefined; // pager is less in secure mode
  return undefined;
}

function ncEscape(args: readonly string[]): string | undefined {
  return args.some((a) => /^-[A-Za-z]*[ec]$/.test(a) || a === '--exec' || a === '--sh-exec' || a === '--lua-exec') ? 'runs a program for the connection' : undefined;
}

/** Flags that only print a version or help text. */
const INFO_ONLY = /^(--version|-V|--help|-h|-version|-help)$/;

/** Programs that open `$EDITOR` in some forms. */
function editorOf(program: string, args: readonly string[]): string | undefined {
  const sub = args.find((a) => !a.startsWith('-'));
  if (program === 'systemctl' && sub === 'edit') return 'systemctl edit opens an editor';
  if ((program === 'kubectl' || program === 'oc') && sub === 'edit') return `${program} edit opens an editor`;
  if (program === 'virsh' && (sub === 'edit' || sub === 'net-edit' || sub === 'pool-edit')) return 'virsh edit opens an editor';
  if (program === 'sudo' && args.some((a) => a === '-e' || a === '--edit')) return 'sudo -e opens an editor';
  if (program === 'journalctl' || program === 'systemctl') return undefined;
  return undefined;
}

/**
 * Why running this program with these arguments is opaque, or undefined when it is not.
 * `args` are the unquoted words after the program name.
 */
export function opaqueProgramReason(program: string, args: readonly string[]): string | undefined {
  if (args.length > 0 && args.every((a) => INFO_ONLY.test(a))) return undefined;
  if (INTERPRETERS.has(program)) return `${program} runs code changeguard cannot read before it runs`;
  if (program === 'awk' || program === 'mawk' || program === 'nawk') return awkReason(program, args);
  if (program === 'sed') return sedReason(args);
  if (SHELLS.has(program)) return shellReason(program, args);
  if (SESSION_PROGRAMS.has(program)) return `${program} starts a session whose commands changeguard cannot see`;
  const conditional = ESCAPES_ONLY_WHEN.get(program);
  if (conditional !== undefined) {
    const reason = conditional(args);
    return reason === undefined ? undefined : `${program} ${reason}`;
  }
  if (ESCAPE_PROGRAMS.has(program)) return `${program} can run commands from inside itself (a shell escape or an editor)`;
  return editorOf(program, args);
}

/** Shells run their `-c` string (parsed and judged as a line) or a script / stdin (opaque). */
function shellReason(program: string, args: readonly string[]): string | undefined {
  if (args.some((a) => /^-[A-Za-z]*c[A-Za-z]*$/.test(a) && !a.startsWith('--'))) return undefined;
  const script = args.find((a) => !a.startsWith('-') && !a.startsWith('+'));
  if (script !== undefined) return `${program} ${script} runs a script changeguard cannot read`;
  return `${program} starts an interactive shell whose commands changeguard cannot see`;
}

function awkReason(program: string, args: readonly string[]): string | undefined {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-f' || a.startsWith('-f') || a === '--file' || a.startsWith('--file=') || a === '-E' || a.startsWith('--exec')) return `${program} -f runs a program file changeguard cannot read`;
    if (a === '-F' || a === '-v') {
      i++;
      continue;
    }
    if (!a.startsWith('-')) break;
  }
  const text = args[i];
  if (text === undefined) return undefined;
  if (/\bsystem\s*\(|\|\s*&?\s*getline|\bgetline\b[^;}]*<|\|\s*"|\|\s*[A-Za-z_]|print[^;}]*\|/.test(text)) {
    return `${program} program runs commands (system, pipes or getline from a command)`;
  }
  return undefined;
}

function sedReason(args: readonly string[]): string | undefined {
  const scripts: string[] = [];
  let sawScriptOption = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-f' || a.startsWith('--file')) return 'sed -f runs a script file changeguard cannot read';
    if (a === '-e' || a === '--expression') {
      sawScriptOption = true;
      const next = args[++i];
      if (next !== undefined) scripts.push(next);
      continue;
    }
    if (a.startsWith('--expression=')) {
      sawScriptOption = true;
      scripts.push(a.slice(13));
      continue;
    }
    if (a.startsWith('-')) continue;
    if (!sawScriptOption && scripts.length === 0) scripts.push(a);
  }
  // GNU sed's `e` command and the `e` flag of `s///` run shell commands.
  for (const s of scripts) {
    if (/(^|[;\n{}]|^\s*\d*,?\d*\s*)\s*e(\s|$|;)/.test(s) || /(^|[;\n])\s*[0-9$,/]*\s*e\b/.test(s) || /s(.).*\1.*\1[gpIiMm0-9w]*e/.test(s)) {
      return 'sed script runs shell commands (e)';
    }
  }
  return undefined;
}

/** Directories whose programs are the system's own: a program run by another path may be anything. */
const SYSTEM_DIRS = ['/bin/', '/sbin/', '/usr/bin/', '/usr/sbin/', '/usr/local/bin/', '/usr/local/sbin/', '/usr/libexec/', '/usr/lib/'];

/** Why naming a program by this path is opaque (a copied or linked binary could hide behind it). */
export function opaquePathReason(path: string): string | undefined {
  if (!path.includes('/')) return undefined;
  if (SYSTEM_DIRS.some((dir) => path.startsWith(dir)) && !path.includes('/../') && !path.includes('/./')) return undefined;
  return `${path} is not a system program (a script or a renamed copy could run under any name)`;
}

/** A path under the directories PATH searches: writing there installs a program under a new name. */
export function isProgramDirectory(path: string): boolean {
  const normalised = path.replace(/\/+/g, '/');
  return ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'].some(
    (dir) => normalised === dir || normalised === `${dir}/` || normalised.startsWith(`${dir}/`),
  );
}
