import type { Word } from './words.js';

/** What a command runs besides itself, as far as its own arguments tell. */
export type Unwrap =
  /** Nothing more (`sudo -l`, `command -v rm`, `env` alone, `bash script.sh`). */
  | { readonly kind: 'none' }
  /**
   * These argument vectors, each a command (`sudo rm x` runs `rm x`). `appendsArgs`: the
   * wrapper adds arguments read from stdin (`xargs`), so a shell it runs has an unseen script.
   */
  | { readonly kind: 'exec'; readonly argvs: readonly (readonly Word[])[]; readonly appendsArgs?: boolean }
  /** These strings as shell source (`sh -c '...'`, `eval ...`, `su -c '...'`). */
  | { readonly kind: 'line'; readonly lines: readonly string[] }
  /** An interactive shell: it runs whatever arrives on stdin, so it is opaque when stdin is fed. */
  | { readonly kind: 'shellStdin' }
  /** Code we cannot see (`source file`, `bash <(curl x)`): always opaque. */
  | { readonly kind: 'unseen' };

const NONE: Unwrap = { kind: 'none' };
const SHELL_STDIN: Unwrap = { kind: 'shellStdin' };
const UNSEEN: Unwrap = { kind: 'unseen' };

/** Shells whose `-c` string we parse as a line and whose stdin script we cannot see. */
export const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash']);

/**
 * How a wrapped program runs another command. `undefined` for ordinary programs.
 * `args` are the words after the program name.
 */
export function unwrap(program: string, args: readonly Word[]): Unwrap | undefined {
  if (SHELLS.has(program)) return shell(args);
  return HANDLERS.get(program)?.(args);
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
    return script === undefined ? NONE : { kind: 'line', lines: [script.value] };
  }
  const script = args[o.next];
  if (o.flags.has('s') || script === undefined) return SHELL_STDIN;
  // `bash <(curl x)`, `bash $SCRIPT`: the file to run is computed.
  return script.literal ? NONE : UNSEEN;
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
      if (start >= args.length) return hasAny(o.flags, ['i', 's', 'login', 'shell']) ? SHELL_STDIN : NONE;
      return execFrom(args, start);
    },
  ],
  [
    'doas',
    (args) => {
      const o = parseOptions(args, { arg: 'uC' });
      if (o.flags.has('C')) return NONE;
      if (o.next >= args.length) return o.flags.has('s') ? SHELL_STDIN : NONE;
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
      return command === undefined ? SHELL_STDIN : { kind: 'line', lines: [command] };
    },
  ],
  [
    'env',
    (args) => {
      const o = parseOptions(args, { arg: 'uCS', dashAlone: true, longArg: ['unset', 'chdir', 'split-string'] });
      const start = skipAssignments(args, o.next);
      // -S splits its string into words: it is a command line of its own.
      const split = o.values.get('S') ?? o.values.get('split-string');
      if (split !== undefined) return { kind: 'line', lines: [[split, ...args.slice(start).map((a) => a.value)].join(' ')] };
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
      return o.next + 1 < args.length ? execFrom(args, o.next + 1) : SHELL_STDIN;
    },
  ],
  [
    'watch',
    (args) => {
      const o = parseOptions(args, { arg: 'nq', optional: 'd', longArg: ['interval', 'equexit'] });
      if (o.next >= args.length) return NONE;
      // watch hands its joined arguments to `sh -c` unless -x says to exec them.
      return o.flags.has('x') || o.flags.has('exec') ? execFrom(args, o.next) : { kind: 'line', lines: [joined(args.slice(o.next))] };
    },
  ],
  ['busybox', (args) => (args[0] !== undefined && !args[0].value.startsWith('-') ? execFrom(args, 0) : NONE)],
  ['eval', (args) => (args.length > 0 ? { kind: 'line', lines: [joined(args)] } : NONE)],
  ['source', () => UNSEEN],
  ['.', () => UNSEEN],
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
