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
  // Debian's alternatives and flavours: the same editors and pagers under other names.
  'editor', 'sensible-editor', 'pager', 'sensible-pager', 'vim.basic', 'vim.tiny', 'vim.nox', 'vim.gtk', 'vim.gtk3', 'vim.athena',
  'nvi', 'elvis', 'mg', 'w3m', 'lynx', 'elinks', 'links', 'sensible-browser', 'www-browser', 'x-www-browser',
]);

/** Build and test tools: they run recipes, hooks and scripts from files in the working tree. */
const PROJECT_RUNNERS = new Set(['make', 'gmake', 'bmake', 'prove', 'pydoc', 'pydoc3', 'npx', 'rake', 'ant', 'mvn', 'gradle', 'run-parts']);

/** Package managers whose sub-commands run package.json scripts (and lifecycle hooks). */
const SCRIPT_RUNNING_SUBCOMMANDS = new Set(['run', 'run-script', 'rum', 'urn', 'exec', 'x', 'dlx', 'start', 'test', 't', 'tst', 'restart', 'stop', 'install', 'i', 'add', 'ci', 'rebuild', 'rb', 'pack', 'publish']);

/** Compilers: a driver option can name any program to run around or inside the compiler. */
const COMPILERS = /^(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|cpp|gfortran)(-\d+)?$|^(x86_64|aarch64|i686)-linux-gnu-(gcc|g\+\+)(-\d+)?$/;

/**
 * A long option GNU tools accept abbreviated (`--to-comm` for `--to-command`): true when
 * `arg` is `--` followed by at least three letters of one of `names`.
 */
function longOption(arg: string, names: readonly string[]): boolean {
  if (!arg.startsWith('--')) return false;
  const given = arg.slice(2).replace(/=.*$/s, '');
  return given.length >= 3 && names.some((name) => name.startsWith(given));
}

/**
 * Programs in ESCAPE_PROGRAMS that only reach a shell or an editor in some forms: the
 * others are plain commands (`tar czf x.tgz dir`, `git status`, `zip -r a.zip d`).
 */
const ESCAPES_ONLY_WHEN: ReadonlyMap<string, (args: readonly string[]) => string | undefined> = new Map([
  ['tar', (args) => (args.some((a) => longOption(a, ['to-command', 'use-compress-program', 'checkpoint-action', 'info-script', 'new-volume-script', 'rsh-command']) || /^-[A-Za-z]*[IF]/.test(a) || (!a.startsWith('-') && a === args[0] && /[IF]/.test(a))) ? 'runs a program named in its options' : undefined)],
  ['sort', (args) => (args.some((a) => longOption(a, ['compress-program'])) ? 'runs the program named by --compress-program' : undefined)],
  ['split', (args) => (args.some((a) => longOption(a, ['filter'])) ? 'runs the shell command given to --filter' : undefined)],
  ['scp', sshClientEscape],
  ['sftp', sshClientEscape],
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

/** git's own commands: any other word is an alias (which may be `!shell code`) or a git-* program. */
const GIT_COMMANDS = new Set([
  'add', 'am', 'annotate', 'apply', 'archive', 'bisect', 'blame', 'branch', 'bundle', 'cat-file', 'check-ignore', 'checkout', 'cherry',
  'cherry-pick', 'clean', 'clone', 'commit', 'config', 'count-objects', 'describe', 'diff', 'diff-files', 'diff-index', 'diff-tree',
  'difftool', 'fetch', 'for-each-ref', 'format-patch', 'fsck', 'gc', 'grep', 'hash-object', 'help', 'init', 'log', 'ls-files',
  'ls-remote', 'ls-tree', 'merge', 'merge-base', 'mergetool', 'mv', 'notes', 'pull', 'push', 'range-diff', 'rebase', 'reflog',
  'remote', 'repack', 'replace', 'reset', 'restore', 'rev-list', 'rev-parse', 'revert', 'rm', 'shortlog', 'show', 'show-branch',
  'show-ref', 'sparse-checkout', 'stash', 'status', 'submodule', 'switch', 'tag', 'update-index', 'verify-commit', 'verify-tag',
  'version', 'whatchanged', 'worktree', 'maintenance', 'filter-branch', 'var', 'write-tree',
]);

/** git's global options that take the next word as their value. */
const GIT_VALUE_OPTIONS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--exec-path', '--list-cmds']);

function gitEscape(args: readonly string[]): string | undefined {
  if (args.some((a) => a === '-c' || a.startsWith('--exec-path') || a.startsWith('--config-env'))) return 'git -c can point git at a program to run';
  let index = 0;
  while (index < args.length && (args[index] as string).startsWith('-')) index += GIT_VALUE_OPTIONS.has(args[index] as string) ? 2 : 1;
  const sub = args[index];
  if (sub !== undefined && !GIT_COMMANDS.has(sub)) return `${sub} is an alias or an external git-${sub} program, either of which can run anything`;
  if (sub === 'commit' && !args.some((a) => a === '-m' || a.startsWith('--message') || a === '-F' || a.startsWith('--file') || a === '--no-edit' || /^-[A-Za-z]*m/.test(a))) return 'git commit opens an editor';
  if (sub === 'rebase' && args.some((a) => a === '-i' || a === '--interactive' || a.startsWith('--exec') || a === '-x')) return 'git rebase runs an editor or commands';
  if (sub === 'config' || sub === 'filter-branch' || sub === 'bisect' || sub === 'difftool' || sub === 'mergetool' || sub === 'submodule' || sub === 'help') return `git ${sub} can run programs`;
  if (sub === 'log' || sub === 'diff' || sub === 'show' || sub === 'blame' || sub === 'branch' || sub === 'tag' || sub === 'grep') return undefined; // pager is less in secure mode
  return undefined;
}

/** scp and sftp start ssh, which runs ProxyCommand / LocalCommand / KnownHostsCommand, or `-S` names the program itself. */
function sshClientEscape(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (/^-[A-Za-z0-9]*S/.test(a)) return 'runs the program named by -S to connect';
    if (/^-[A-Za-z0-9]*F/.test(a)) return 'reads an ssh configuration file that can name commands to run';
    const option = a === '-o' ? (args[i + 1] ?? '') : a.startsWith('-o') ? a.slice(2) : undefined;
    if (option !== undefined && /^\s*(proxycommand|localcommand|permitlocalcommand|knownhostscommand|match|include)\b/i.test(option)) return 'starts ssh with an option that runs a command';
  }
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
  if (PROJECT_RUNNERS.has(program)) {
    if (program === 'run-parts' && args.some((a) => a === '--list' || a === '--test')) return undefined;
    return `${program} runs code from files changeguard cannot read (recipes, scripts, tests or modules)`;
  }
  if (program === 'npm' || program === 'yarn' || program === 'pnpm') {
    const sub = args.find((a) => !a.startsWith('-'));
    if (sub === undefined ? program === 'yarn' : SCRIPT_RUNNING_SUBCOMMANDS.has(sub) || (program === 'yarn' && !['info', 'list', 'why', 'config', 'cache', 'outdated', 'audit', 'licenses'].includes(sub))) {
      return `${program} ${sub ?? ''} runs package scripts changeguard cannot read`.replace('  ', ' ');
    }
    return undefined;
  }
  if (COMPILERS.test(program) && args.some((a) => a === '-wrapper' || a.startsWith('-fplugin') || a.startsWith('-specs') || a.startsWith('--specs') || /^-B/.test(a) || a.startsWith('-fuse-ld=') || a === '-no-integrated-cpp')) {
    return `${program} is told to run another program (-wrapper, a plugin, -B or specs)`;
  }
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
    // mawk's `-W exec file` (and any -W abbreviation of it) is -f by another name.
    if (a === '-W' && /^e/.test(args[i + 1] ?? '')) return `${program} -W exec runs a program file changeguard cannot read`;
    if (/^-W\s*e/.test(a)) return `${program} -W exec runs a program file changeguard cannot read`;
    if (a === '-W') {
      i++;
      continue;
    }
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
    if (sedCommands(s).includes('e')) {
      return 'sed script runs shell commands (e)';
    }
  }
  return undefined;
}

/**
 * The command letters of a sed script, read the way GNU sed reads it (addresses with their
 * regexes, `s` and `y` with their delimiters, text arguments to the end of the line), so that
 * `e` is found wherever it hides: `/x/e cmd`, `0~1e cmd`, `/a;b/e cmd`, `1!{e cmd}`.
 */
export function sedCommands(script: string): string[] {
  const letters: string[] = [];
  let i = 0;
  const n = script.length;
  const skipSpace = (): void => {
    while (i < n && /[\s;]/.test(script[i] as string)) i++;
  };
  // Skips a delimited part (regex or replacement) that starts after `delimiter` at i.
  const skipDelimited = (delimiter: string): void => {
    while (i < n && script[i] !== delimiter) i += script[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipAddress = (): void => {
    const c = script[i];
    if (c === undefined) return;
    if (/\d/.test(c)) {
      while (i < n && /[\d~]/.test(script[i] as string)) i++;
    } else if (c === '$') {
      i++;
    } else if (c === '/' || c === '\\') {
      const delimiter = c === '/' ? '/' : (script[i + 1] ?? '');
      i += c === '/' ? 1 : 2;
      skipDelimited(delimiter);
      while (i < n && /[IM]/.test(script[i] as string)) i++;
    }
  };
  while (i < n) {
    skipSpace();
    if (i >= n) break;
    if (script[i] === '{' || script[i] === '}') {
      i++;
      continue;
    }
    skipAddress();
    while (i < n && script[i] === ' ') i++;
    if (script[i] === ',') {
      i++;
      while (i < n && script[i] === ' ') i++;
      if (script[i] === '+' || script[i] === '~') i++;
      skipAddress();
    }
    while (i < n && /[\s!]/.test(script[i] as string)) i++;
    const letter = script[i];
    if (letter === undefined) break;
    i++;
    if (letter === '{' || letter === '}') continue;
    letters.push(letter);
    if (letter === 's' || letter === 'y') {
      const delimiter = script[i] ?? '';
      i++;
      skipDelimited(delimiter);
      skipDelimited(delimiter);
      while (i < n && /[^;\n}]/.test(script[i] as string)) {
        if (script[i] === 'e') letters.push('e');
        i++;
      }
    } else if ('aicerwRWbtTq:#lLQvFz='.includes(letter)) {
      // A text, file name, label or number runs to the end of the line (labels also end at `;`).
      const stopAtSemicolon = 'btT'.includes(letter);
      while (i < n && script[i] !== '\n' && !(stopAtSemicolon && script[i] === ';')) i++;
    }
  }
  return letters;
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

/**
 * Files whose contents something runs later, unseen by changeguard: shell start-up files,
 * sshd's `~/.ssh/rc` and `environment`, keys with `command=`, git hooks and config (aliases,
 * core.pager), cron tables, systemd units, editor and pager start-up files.
 */
const STARTUP_FILE = new RegExp(
  [
    String.raw`(^|/)\.(bashrc|bash_profile|bash_login|bash_logout|profile|inputrc|pam_environment|zshrc|zshenv|zprofile|zlogin|kshrc|mkshrc|cshrc|tcshrc|login|logout|gitconfig|vimrc|exrc|gvimrc|nanorc|lesskey|lessfilter|wgetrc|curlrc|npmrc|pythonrc|perldb|netrc|screenrc|tmux\.conf|xinitrc|xsession|xprofile)$`,
    String.raw`(^|/)\.ssh/(rc|environment|authorized_keys2?|config)$`,
    String.raw`(^|/)\.git/(hooks(/|$)|config$)`,
    String.raw`(^|/)\.config/(git/|systemd/|autostart/|nvim/|environment\.d/|fish/)`,
    String.raw`^/etc/(profile|profile\.d/|bash\.bashrc|bash\.bash_logout|environment|ssh/sshrc|ssh/sshd_config|cron|crontab|anacrontab|systemd/|init\.d/|rc\.local|ld\.so\.preload|ld\.so\.conf|sudoers|pam\.d/|security/|update-motd\.d/|apt/apt\.conf\.d/|logrotate|udev/rules\.d/)`,
    String.raw`^/(var/spool/cron|usr/lib/systemd|lib/systemd|run/systemd)/`,
  ].join('|'),
);

/** A path whose contents will run later (a login, a git command, cron): writing it installs code. */
export function startupFileReason(path: string): string | undefined {
  const normalised = path.replace(/\/+/g, '/').replace(/^~[^/]*/, '~').replace(/^(\$HOME|\$\{HOME\})/, '~');
  return STARTUP_FILE.test(normalised) ? `it writes ${path}, whose contents run later where changeguard does not see them` : undefined;
}

/** Why writing these files installs code that runs later unjudged (a program, a start-up file), or undefined. */
export function installReason(targets: readonly string[]): string | undefined {
  const hit = targets.find((t) => isProgramDirectory(t));
  if (hit !== undefined) return `it writes into ${hit}, where a program could be installed under another name`;
  for (const target of targets) {
    const reason = startupFileReason(target);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
