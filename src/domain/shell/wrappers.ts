import type { Word } from './words.js';
import { SHELLS } from './programKinds.js';

/** What a command runs besides itself, as far as its own arguments tell. */
export type Unwrap =
  /** Nothing more (`sudo -l`, `command -v rm`, `env` alone). */
  | { readonly kind: 'none' }
  /**
   * These argument vectors, each a command (`sudo rm x` runs `rm x`). `appendsArgs`: the
   * wrapper adds arguments read from stdin (`xargs`), so what they run is partly unseen.
   */
  | { readonly kind: 'exec'; readonly argvs: readonly (readonly Word[])[]; readonly appendsArgs?: boolean }
  /** These strings as shell source (`sh -c '...'`, `eval ...`, `su -c '...'`, `trap '...' EXIT`). */
  | { readonly kind: 'line'; readonly lines: readonly string[]; readonly nestedShell?: boolean }
  /** Code we cannot see (`source file`, an interactive shell, `coproc`): always opaque. */
  | { readonly kind: 'opaque'; readonly reason: string };

const NONE: Unwrap = { kind: 'none' };

function opaque(reason: string): Unwrap {
  return { kind: 'opaque', reason };
}

const INTERACTIVE_SHELL = opaque('it starts an interactive shell whose commands changeguard cannot see');

export { SHELLS };

/**
 * How a wrapped program runs another command. `undefined` for ordinary programs.
 * `args` are the words after the program name.
 */
export function unwrap(program: string, args: readonly Word[]): Unwrap | undefined {
  if (SHELLS.has(program)) return shell(args);
  if (DYNAMIC_LOADER.test(program)) return dynamicLoader(args);
  return HANDLERS.get(program)?.(args);
}

/** Programs this module knows how to unwrap (wrappers and shells). */
export function isKnownWrapper(program: string): boolean {
  return SHELLS.has(program) || HANDLERS.has(program) || DYNAMIC_LOADER.test(program);
}

/** The dynamic loader run as a program (`ld.so`, `/lib64/ld-linux-x86-64.so.2`) runs the program it is given. */
const DYNAMIC_LOADER = /^ld(-linux[-\w.]*)?\.so(\.\d+)*$|^ld-musl-[\w]+\.so\.\d+$/;

function dynamicLoader(args: readonly Word[]): Unwrap {
  const o = parseOptions(args, { longArg: ['library-path', 'inhibit-rpath', 'audit', 'preload', 'argv0'] });
  if (hasAny(o.flags, ['list', 'verify', 'help', 'version', 'list-tunables', 'list-diagnostics'])) return NONE;
  return execFrom(args, o.next);
}

interface OptSpec {
  /** Short options taking an argument, attached (`-uroot`) or next (`-u root`). */
  readonly arg?: string;
  /** Short options whose argument is optional and only ever attached (`xargs -i{}`). */
  readonly optional?: string;
  /** Long options taking an argument (`--user root`, `--user=root`). */
  readonly longArg?: readonly string[];
  /** Options may start with `+` too (`sh +o posix`). */
  readonly plus?: boolean;
  /** A lone `-` is an option, not an operand (`env -`). */
  readonly dashAlone?: boolean;
  /** Keep parsing options after operands, like GNU getopt (`su root -c cmd`). */
  readonly permute?: boolean;
}

interface Options {
  /** Index of the first operand (the wrapped command, usually). */
  readonly next: number;
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  /** Only with `permute`: operands met among the options. */
  readonly operands: readonly Word[];
}

function parseOptions(args: readonly Word[], spec: OptSpec, start = 0): Options {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const operands: Word[] = [];
  let i = start;
  for (; i < args.length; i++) {
    const v = (args[i] as Word).value;
    if (v === '--') {
      i++;
      break;
    }
    if (v === '-' && spec.dashAlone === true) {
      flags.add('-');
      continue;
    }
    const isOption = v.length > 1 && (v[0] === '-' || (v[0] === '+' && spec.plus === true));
    if (!isOption) {
      if (spec.permute === true) {
        operands.push(args[i] as Word);
        continue;
      }
      break;
    }
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq < 0 ? v.slice(2) : v.slice(2, eq);
      flags.add(name);
      if (eq >= 0) values.set(name, v.slice(eq + 1));
      else if (spec.longArg?.includes(name) === true && i + 1 < args.length) values.set(name, (args[++i] as Word).value);
      continue;
    }
    for (let j = 1; j < v.length; j++) {
      const letter = v[j] as string;
      flags.add(letter);
      if (spec.arg?.includes(letter) === true) {
        const rest = v.slice(j + 1);
        if (rest !== '') values.set(letter, rest);
        else if (i + 1 < args.length) values.set(letter, (args[++i] as Word).value);
        break;
      }
      if (spec.optional?.includes(letter) === true) {
        values.set(letter, v.slice(j + 1));
        break;
      }
    }
  }
  if (spec.permute === true) operands.push(...args.slice(i));
  return { next: i, flags, values, operands };
}

function execFrom(args: readonly Word[], index: number): Unwrap {
  return index < args.length ? { kind: 'exec', argvs: [args.slice(index)] } : NONE;
}

function skipAssignments(args: readonly Word[], index: number): number {
  let i = index;
  while (i < args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test((args[i] as Word).value)) i++;
  return i;
}

function hasAny(flags: ReadonlySet<string>, names: readonly string[]): boolean {
  return names.some((n) => flags.has(n));
}

function joined(args: readonly Word[]): string {
  return args.map((a) => a.value).join(' ');
}

/** Simple "options, then the command" wrappers. */
function optionsThenCommand(spec: OptSpec): (args: readonly Word[]) => Unwrap {
  return (args) => execFrom(args, parseOptions(args, spec).next);
}

function shell(args: readonly Word[]): Unwrap {
  const o = parseOptions(args, { arg: 'oO', plus: true, longArg: ['rcfile', 'init-file'] });
  if (o.flags.has('c')) {
    const script = args[o.next];
    if (script === undefined) return NONE;
    return script.literal ? { kind: 'line', lines: [script.value], nestedShell: true } : opaque('the script given to -c is computed when it runs');
  }
  const script = args[o.next];
  if (o.flags.has('s') || script === undefined) return INTERACTIVE_SHELL;
  return opaque(`${script.value} is a script changeguard cannot read`);
}

/** A string of shell code in an argument: judged as a line when literal, opaque when computed. */
function codeArgument(word: Word | undefined, what: string): Unwrap {
  if (word === undefined) return NONE;
  return word.literal ? { kind: 'line', lines: [word.value] } : opaque(`${what} is computed when it runs`);
}

/** `OPTS... LEAD-OPERANDS... command`: skips `lead` operands (a mask, a priority, a lock file). */
function optionsThenOperandsThenCommand(spec: OptSpec, lead: number, infoFlags: readonly string[] = []): (args: readonly Word[]) => Unwrap {
  return (args) => {
    const o = parseOptions(args, spec);
    if (hasAny(o.flags, infoFlags)) return NONE;
    return execFrom(args, o.next + lead);
  };
}

const HANDLERS: ReadonlyMap<string, (args: readonly Word[]) => Unwrap> = new Map<string, (args: readonly Word[]) => Unwrap>([
  [
    'sudo',
    (args) => {
      const o = parseOptions(args, {
        arg: 'CDgpRrTtUu',
        optional: 'h',
        longArg: ['chdir', 'close-from', 'command-timeout', 'chroot', 'group', 'host', 'other-user', 'prompt', 'role', 'type', 'user'],
      });
      // Edit, list, validate, version, help: sudo runs no command.
      if (hasAny(o.flags, ['e', 'edit', 'l', 'list', 'v', 'validate', 'V', 'version', 'K', 'remove-timestamp', 'help'])) return NONE;
      const start = skipAssignments(args, o.next);
      if (start >= args.length) return hasAny(o.flags, ['i', 's', 'login', 'shell']) ? INTERACTIVE_SHELL : NONE;
      return execFrom(args, start);
    },
  ],
  [
    'doas',
    (args) => {
      const o = parseOptions(args, { arg: 'uC' });
      if (o.flags.has('C')) return NONE;
      if (o.next >= args.length) return o.flags.has('s') ? INTERACTIVE_SHELL : NONE;
      return execFrom(args, o.next);
    },
  ],
  [
    'su',
    (args) => {
      const o = parseOptions(args, {
        arg: 'cgGsw',
        dashAlone: true,
        permute: true,
        longArg: ['command', 'session-command', 'group', 'supp-group', 'shell', 'whitelist-environment'],
      });
      const command = o.values.get('c') ?? o.values.get('command') ?? o.values.get('session-command');
      return command === undefined ? INTERACTIVE_SHELL : { kind: 'line', lines: [command], nestedShell: true };
    },
  ],
  [
    'env',
    (args) => {
      const o = parseOptions(args, { arg: 'uCS', dashAlone: true, longArg: ['unset', 'chdir', 'split-string'] });
      const start = skipAssignments(args, o.next);
      // -S splits its string into words: it is a command line of its own.
      const split = o.values.get('S') ?? o.values.get('split-string');
      if (split !== undefined) return { kind: 'line', lines: [[split, ...args.slice(start).map((a) => a.value)].join(' ')], nestedShell: true };
      return execFrom(args, start);
    },
  ],
  ['nice', optionsThenCommand({ arg: 'n', longArg: ['adjustment'] })],
  ['nohup', optionsThenCommand({})],
  ['setsid', optionsThenCommand({})],
  ['stdbuf', optionsThenCommand({ arg: 'ioe', longArg: ['input', 'output', 'error'] })],
  [
    'timeout',
    (args) => {
      const o = parseOptions(args, { arg: 'ks', longArg: ['kill-after', 'signal'] });
      return execFrom(args, o.next + 1); // skip the DURATION
    },
  ],
  ['time', optionsThenCommand({ arg: 'fo', longArg: ['format', 'output'] })],
  [
    'command',
    (args) => {
      const o = parseOptions(args, {});
      // -v / -V only look the name up.
      return o.flags.has('v') || o.flags.has('V') ? NONE : execFrom(args, o.next);
    },
  ],
  ['builtin', (args) => execFrom(args, 0)],
  ['coproc', (args) => execFrom(args, 0)],
  ['exec', optionsThenCommand({ arg: 'a' })],
  [
    'xargs',
    (args) => {
      const o = parseOptions(args, {
        arg: 'adEILnPs',
        optional: 'eil',
        longArg: ['arg-file', 'delimiter', 'max-args', 'max-procs', 'max-chars', 'process-slot-var'],
      });
      // -I{} puts each input line into the command: in a program name or in what a wrapper or
      // shell runs (`sh -c '{}'`) it is code from the input.
      const replace = o.values.get('I') ?? o.values.get('i') ?? (o.flags.has('i') ? '{}' : undefined);
      const command = args.slice(o.next);
      if (replace !== undefined && replace !== '' && command.length > 0) {
        const program = (command[0] as Word).value;
        const inProgram = program.includes(replace);
        const wrapped = isKnownWrapper(program.replace(/^.*\//, '')) && command.slice(1).some((a) => a.value.includes(replace));
        if (inProgram || wrapped) return opaque(`xargs -I puts its input into the command ${inProgram ? 'name' : 'that ' + program + ' runs'}`);
      }
      // Without a command xargs runs `echo`: nothing worth reporting.
      return o.next < args.length ? { kind: 'exec', argvs: [args.slice(o.next)], appendsArgs: true } : NONE;
    },
  ],
  [
    'ionice',
    (args) => {
      const o = parseOptions(args, { arg: 'cnpPu', longArg: ['class', 'classdata', 'pid', 'pgid', 'uid'] });
      // With -p/-P/-u ionice changes existing processes and runs nothing.
      if (hasAny(o.flags, ['p', 'P', 'u', 'pid', 'pgid', 'uid'])) return NONE;
      return execFrom(args, o.next);
    },
  ],
  [
    'chroot',
    (args) => {
      const o = parseOptions(args, { longArg: ['userspec', 'groups'] });
      if (o.next >= args.length) return NONE;
      // Without a command chroot starts an interactive shell.
      return o.next + 1 < args.length ? execFrom(args, o.next + 1) : INTERACTIVE_SHELL;
    },
  ],
  [
    'watch',
    (args) => {
      const o = parseOptions(args, { arg: 'nq', optional: 'd', longArg: ['interval', 'equexit'] });
      if (o.next >= args.length) return NONE;
      // watch hands its joined arguments to `sh -c` unless -x says to exec them.
      return o.flags.has('x') || o.flags.has('exec') ? execFrom(args, o.next) : { kind: 'line', lines: [joined(args.slice(o.next))], nestedShell: true };
    },
  ],
  ['busybox', (args) => (args[0] !== undefined && !args[0].value.startsWith('-') ? execFrom(args, 0) : NONE)],
  ['eval', (args) => (args.length === 0 ? NONE : args.every((a) => a.literal) ? { kind: 'line', lines: [joined(args)] } : opaque('the code given to eval is computed when it runs'))],
  ['source', () => opaque('source runs a file changeguard cannot read')],
  ['.', () => opaque('. runs a file changeguard cannot read')],
  ['coproc', () => opaque('coproc runs a command in the background where changeguard does not follow it')],
  ['hash', (args) => (args.some((a) => a.value.startsWith('-') && a.value.includes('p')) ? opaque('hash -p makes a name run another program') : NONE)],
  [
    'trap',
    (args) => {
      const rest = args[0]?.value === '--' ? args.slice(1) : args;
      if (rest.length < 2 || rest[0]?.value.startsWith('-')) return NONE;
      // bash does not run the DEBUG trap inside another trap's action: like a nested shell,
      // it runs where changeguard's run-time check does not follow.
      const action = codeArgument(rest[0], 'the trap action');
      return action.kind === 'line' ? { ...action, nestedShell: true } : action;
    },
  ],
  ['mapfile', callbackCode],
  ['readarray', callbackCode],
  ['compgen', completionCode],
  ['complete', completionCode],
  ['jobs', (args) => (args[0]?.value === '-x' ? execFrom(args, 1) : NONE)],
  ['setpriv', optionsThenOperandsThenCommand({ longArg: ['reuid', 'regid', 'ruid', 'euid', 'rgid', 'egid', 'groups', 'inh-caps', 'ambient-caps', 'bounding-set', 'securebits', 'pdeathsig', 'selinux-label', 'apparmor-profile', 'landlock-access', 'landlock-rule', 'rlimit'] }, 0, ['d', 'dump', 'h', 'help', 'V', 'version'])],
  [
    'taskset',
    (args) => {
      const o = parseOptions(args, {});
      if (hasAny(o.flags, ['p', 'pid', 'h', 'help', 'V', 'version'])) return NONE;
      return execFrom(args, o.next + 1); // skip the mask or CPU list
    },
  ],
  [
    'flock',
    (args) => {
      const o = parseOptions(args, { arg: 'wEc', longArg: ['timeout', 'conflict-exit-code', 'command'], permute: false });
      const command = o.values.get('c') ?? o.values.get('command');
      if (command !== undefined) return { kind: 'line', lines: [command], nestedShell: true };
      // `flock FILE -c 'command'`: options may also follow the lock file.
      const after = o.next + 1;
      const next = args[after]?.value;
      if (next === '-c' || next === '--command') {
        const script = args[after + 1];
        if (script === undefined) return NONE;
        return script.literal ? { kind: 'line', lines: [script.value], nestedShell: true } : opaque('the command given to flock -c is computed when it runs');
      }
      if (next !== undefined && /^--command=/.test(next)) return { kind: 'line', lines: [next.slice(10)], nestedShell: true };
      if (next !== undefined && next.startsWith('-')) return opaque('flock options after the lock file cannot be read with certainty');
      return after < args.length ? execFrom(args, after) : NONE;
    },
  ],
  [
    'chrt',
    (args) => {
      const o = parseOptions(args, { arg: 'T', longArg: ['sched-runtime', 'sched-deadline', 'sched-period'] });
      if (hasAny(o.flags, ['p', 'pid', 'm', 'max', 'h', 'help', 'V', 'version'])) return NONE;
      return execFrom(args, o.next + 1); // skip the priority
    },
  ],
  ['unbuffer', optionsThenCommand({})],
  // capsh [options] -- ARGS runs `/bin/bash ARGS` (or the --shell= program) after its options.
  ['capsh', (args) => {
    if (args.some((a) => a.value.startsWith('--shell='))) return opaque('capsh --shell= names the program it runs');
    const dashes = args.findIndex((a) => a.value === '--' || a.value === '==');
    if (dashes < 0) return NONE;
    return shell(args.slice(dashes + 1));
  }],
  // setarch ARCH [options] [program]: with no program it starts a shell.
  ['setarch', (args) => {
    const o = parseOptions(args, { longArg: ['uname-2.6'] }, 1);
    if (args.length === 0 || hasAny(o.flags, ['list', 'help', 'version', 'h', 'V'])) return NONE;
    return o.next < args.length ? execFrom(args, o.next) : INTERACTIVE_SHELL;
  }],
  ...['linux32', 'linux64', 'i386', 'x86_64', 'uname26'].map((name): [string, (args: readonly Word[]) => Unwrap] => [
    name,
    (args) => {
      const o = parseOptions(args, { longArg: ['uname-2.6'] });
      return o.next < args.length ? execFrom(args, o.next) : INTERACTIVE_SHELL;
    },
  ]),
  ['ssh-agent', (args) => {
    const o = parseOptions(args, { arg: 'aEOPt' });
    return hasAny(o.flags, ['k', 'D', 'd']) ? NONE : execFrom(args, o.next);
  }],
  // An alias's value is code: judged as a line, although the device's shell does not expand aliases.
  ['alias', (args) => {
    const values = args.filter((a) => !a.value.startsWith('-') && a.value.includes('='));
    if (values.length === 0) return NONE;
    if (values.some((a) => !a.literal)) return opaque('the alias value is computed when it runs');
    return { kind: 'line', lines: values.map((a) => a.value.slice(a.value.indexOf('=') + 1)) };
  }],
  [
    'runuser',
    (args) => {
      const o = parseOptions(args, { arg: 'ugGcws', permute: true, dashAlone: true, longArg: ['user', 'group', 'supp-group', 'command', 'session-command', 'shell', 'whitelist-environment'] });
      const command = o.values.get('c') ?? o.values.get('command') ?? o.values.get('session-command');
      if (command !== undefined) return { kind: 'line', lines: [command], nestedShell: true };
      if (o.values.has('u') || o.values.has('user')) return o.operands.length > 0 ? { kind: 'exec', argvs: [o.operands] } : INTERACTIVE_SHELL;
      return INTERACTIVE_SHELL;
    },
  ],
  ['pkexec', (args) => (args.length === 0 ? INTERACTIVE_SHELL : execFrom(args, parseOptions(args, { longArg: ['user'] }).next))],
  [
    'systemd-run',
    (args) => {
      const o = parseOptions(args, {
        arg: 'pEMHuG',
        longArg: ['unit', 'property', 'description', 'slice', 'uid', 'gid', 'nice', 'setenv', 'working-directory', 'on-active', 'on-boot', 'on-startup', 'on-unit-active', 'on-unit-inactive', 'on-calendar', 'on-timezone-change', 'on-clock-change', 'timer-property', 'path-property', 'socket-property', 'machine', 'host', 'expand-environment'],
      });
      if (hasAny(o.flags, ['S', 'shell'])) return INTERACTIVE_SHELL;
      return execFrom(args, o.next);
    },
  ],
  ['unshare', (args) => {
    const o = parseOptions(args, { arg: 'S', longArg: ['setuid', 'setgid', 'propagation', 'root', 'wd', 'map-user', 'map-group', 'map-users', 'map-groups', 'time', 'boottime', 'monotonic', 'kill-child', 'load-interp'] });
    return o.next < args.length ? execFrom(args, o.next) : INTERACTIVE_SHELL;
  }],
  ['nsenter', (args) => {
    const o = parseOptions(args, { arg: 'tSGrw', longArg: ['target', 'setuid', 'setgid', 'root', 'wd', 'wdns', 'env'] });
    return o.next < args.length ? execFrom(args, o.next) : INTERACTIVE_SHELL;
  }],
  ['firejail', optionsThenCommand({})],
  ['bwrap', (args) => {
    // bwrap options mostly take one or two values; the command follows the last option.
    const takesTwo = new Set(['--bind', '--ro-bind', '--dev-bind', '--bind-try', '--ro-bind-try', '--dev-bind-try', '--symlink', '--setenv', '--file', '--bind-data', '--ro-bind-data', '--chmod']);
    const takesOne = new Set(['--uid', '--gid', '--hostname', '--chdir', '--unsetenv', '--lock-file', '--sync-fd', '--info-fd', '--json-status-fd', '--proc', '--dev', '--tmpfs', '--mqueue', '--dir', '--remount-ro', '--exec-label', '--file-label', '--seccomp', '--add-seccomp-fd', '--block-fd', '--userns-block-fd', '--userns', '--userns2', '--pidns', '--cap-add', '--cap-drop', '--perms', '--size', '--args', '--argv0']);
    let i = 0;
    while (i < args.length && (args[i] as Word).value.startsWith('--')) {
      const v = (args[i] as Word).value;
      i += takesTwo.has(v) ? 3 : takesOne.has(v) ? 2 : 1;
    }
    return execFrom(args, i);
  }],
  ['fakeroot', optionsThenCommand({ arg: 'si', longArg: ['lib', 'faked'] })],
  ['eatmydata', optionsThenCommand({})],
  ['faketime', optionsThenOperandsThenCommand({ arg: 'mp' }, 1)],
  ['strace', (args) => {
    const o = parseOptions(args, { arg: 'abeEIOopPsSuUXX', longArg: ['output', 'trace', 'signal', 'status', 'string-limit', 'user', 'env'] });
    // `-o '|command'` / `-o '!command'` pipes the trace into a shell command.
    const output = o.values.get('o') ?? o.values.get('output');
    if (output !== undefined && /^\s*[|!]/.test(output)) return opaque('strace -o |command runs a shell command');
    return o.flags.has('p') ? NONE : execFrom(args, o.next);
  }],
  ['ltrace', (args) => {
    const o = parseOptions(args, { arg: 'aAeFlnopsuwxX', longArg: ['output', 'library', 'indent'] });
    return o.flags.has('p') ? NONE : execFrom(args, o.next);
  }],
  ['valgrind', optionsThenCommand({})],
  ['xvfb-run', optionsThenCommand({ arg: 'nsfpe', longArg: ['server-num', 'server-args', 'auth-file', 'xauth-protocol', 'error-file', 'wait'] })],
  ['cgexec', optionsThenCommand({ arg: 'g' })],
  ['numactl', optionsThenCommand({ arg: 'iNCmpP', longArg: ['interleave', 'cpunodebind', 'physcpubind', 'membind', 'preferred', 'preferred-many', 'weighted-interleave'] })],
  ['prlimit', (args) => {
    const o = parseOptions(args, { arg: 'po', longArg: ['pid', 'output'] });
    return o.values.has('p') || o.values.has('pid') ? NONE : execFrom(args, o.next);
  }],
  ['torsocks', optionsThenCommand({ arg: 'ua', longArg: ['user', 'pass', 'address', 'port'] })],
  ['proxychains', optionsThenCommand({ arg: 'f' })],
  ['proxychains4', optionsThenCommand({ arg: 'f' })],
  ['sshpass', optionsThenCommand({ arg: 'pfdP' })],
  ['gosu', optionsThenOperandsThenCommand({}, 1)],
  ['su-exec', optionsThenOperandsThenCommand({}, 1)],
  ['setuidgid', optionsThenOperandsThenCommand({}, 1)],
  ['chpst', optionsThenCommand({ arg: 'ugUebmdofcrt' })],
  ['runcon', (args) => {
    const o = parseOptions(args, { arg: 'turl', longArg: ['type', 'user', 'role', 'range'] });
    return execFrom(args, o.values.size > 0 ? o.next : o.next + 1);
  }],
  ['toybox', (args) => (args[0] !== undefined && !args[0].value.startsWith('-') ? execFrom(args, 0) : NONE)],
  ['parallel', () => opaque('parallel builds the commands it runs from its input')],
  ['ip', (args) => {
    const words = args.map((a) => a.value);
    const exec = words.findIndex((w, i) => w === 'exec' && (words[i - 2] === 'netns' || words[i - 2] === 'vrf'));
    return exec >= 0 ? execFrom(args, exec + 1) : NONE;
  }],
  ['docker', containerExec],
  ['podman', containerExec],
  ['nerdctl', containerExec],
  ['kubectl', (args) => {
    const words = args.map((a) => a.value);
    const sub = words.find((w) => !w.startsWith('-'));
    if (sub !== 'exec' && sub !== 'debug' && sub !== 'run') return NONE;
    const dashes = words.indexOf('--');
    if (dashes < 0) return sub === 'exec' ? opaque('kubectl exec without -- cannot be read') : NONE;
    return dashes + 1 < args.length ? execFrom(args, dashes + 1) : NONE;
  }],
  [
    'find',
    (args) => {
      const argvs: (readonly Word[])[] = [];
      for (let i = 0; i < args.length; i++) {
        const v = (args[i] as Word).value;
        if (v !== '-exec' && v !== '-execdir' && v !== '-ok' && v !== '-okdir') continue;
        let end = i + 1;
        while (end < args.length && (args[end] as Word).value !== ';' && (args[end] as Word).value !== '+') end++;
        if (end > i + 1) argvs.push(args.slice(i + 1, end));
        i = end;
      }
      return argvs.length > 0 ? { kind: 'exec', argvs } : NONE;
    },
  ],
]);

/** `mapfile -C callback`: the callback is shell code run for every line read. */
function callbackCode(args: readonly Word[]): Unwrap {
  const o = parseOptions(args, { arg: 'CcdnOsu' });
  const index = args.findIndex((a) => a.value === '-C');
  if (index >= 0) return codeArgument(args[index + 1], 'the mapfile callback');
  return o.values.has('C') ? codeArgument({ value: o.values.get('C') as string, literal: true }, 'the mapfile callback') : NONE;
}

/** `compgen -C command`, `complete -C command`: a command run to produce completions. */
function completionCode(args: readonly Word[]): Unwrap {
  const index = args.findIndex((a) => a.value === '-C');
  return index >= 0 ? codeArgument(args[index + 1], 'the completion command') : NONE;
}

/** `docker exec [options] CONTAINER command...`: the command runs in the container. */
function containerExec(args: readonly Word[]): Unwrap {
  const sub = args.findIndex((a) => !a.value.startsWith('-'));
  if (sub < 0 || (args[sub] as Word).value !== 'exec') return NONE;
  const o = parseOptions(args, { arg: 'euw', longArg: ['env', 'env-file', 'user', 'workdir', 'detach-keys'] }, sub + 1);
  return o.next + 1 < args.length ? execFrom(args, o.next + 1) : NONE;
}
