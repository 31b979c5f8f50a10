import { randomBytes } from 'node:crypto';

/**
 * The device side of the capture protocol (docs/ARCHITECTURE.md, "Capture protocol").
 *
 * The proxy starts one non-interactive bash per session (`exec bash --norc --noprofile -c`),
 * which reads nothing from the user: its only input is frames the proxy writes after judging
 * a line. For each frame it
 *  - turns the terminal's echo off before it announces it is ready (so a frame never shows),
 *    names a fresh random challenge, and discards every input line that does not carry it
 *    (type-ahead left over from the last program, or anything injected into the terminal);
 *  - installs a DEBUG trap (extdebug: a failing trap skips the command; functrace: it follows
 *    functions, subshells and command substitutions) that lets a command run only if its
 *    `$BASH_COMMAND`, whitespace collapsed, is in the frame's readonly allow-list, the texts
 *    the proxy predicted for the judged line. Anything else bash is about to run (code
 *    smuggled in through arithmetic evaluation, eval of computed strings, a trap or function
 *    from elsewhere) is reported and, unless `settings.opaque` is `allow`, skipped;
 *  - sources the line, so it runs at the top level (`declare` makes globals, `cd` sticks).
 *
 * The trap uses only syntax (no command a user function could replace) to decide, and
 * `builtin printf` to report. Ctrl-C interrupts the running program and, through the INT trap
 * and the DEBUG trap's `return 2`, the rest of the line. Job control is off, so nothing but a
 * frame ever reads the terminal between lines.
 */
export interface ExecutorOptions {
  /** Directory to start in (a restarted executor resumes where the last one was). */
  readonly cwd?: string | undefined;
}

export const MARKER_OSC = 6973;

/**
 * What the executor prints, before anything else, to ask for its marker nonce; the proxy
 * answers with the nonce and a newline on the executor's input (executor/nonceHandover.ts).
 */
export const NONCE_REQUEST = `\x1b]${MARKER_OSC};nonce?\x07`;

/**
 * The marker nonce: tells the executor's markers from program output. Never in the
 * executor's command line or environment (world-readable in /proc/<pid>/cmdline, or readable
 * by the user's processes in /proc/<pid>/environ): handed over on its input (`nonceHandover`).
 */
export function newExecutorNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Bash lines that take the nonce from the executor's input (`input`: the terminal or stdin),
 * echo off, so it is neither shown nor in /proc: ask (NONCE_REQUEST, to `output`), read
 * one line silently, put the terminal back. Echo is off before the request goes out, so the
 * answer can never be echoed, whatever the network's timing.
 */
function nonceHandover(input: string, output: string, onTerminal: string): string[] {
  return [
    `if ${onTerminal}; then __cg_tty=$(command -p stty -g ${input} 2>/dev/null); command -p stty -echo ${input} 2>/dev/null; else __cg_tty=; fi`,
    `builtin printf '\\033]${MARKER_OSC};nonce?\\007' ${output}`,
    `IFS= builtin read -rs __cg_n ${input} || exit 126`,
    `if [[ -n $__cg_tty ]]; then command -p stty "$__cg_tty" ${input} 2>/dev/null; fi`,
    `[[ $__cg_n =~ ^[0-9a-f]{16,64}$ ]] || { echo "changeguard: the executor was not handed its nonce" >&2; exit 126; }`,
  ];
}

/** Bash lines that prepare the environment: the nonce first, system login files only, then a clean slate. */
function setup(handover: readonly string[], cwd: string | undefined): string[] {
  return [
    'if [ -z "${BASH_VERSINFO-}" ] || (( BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4) )); then echo "changeguard: the device needs bash 4.4 or newer" >&2; exit 127; fi',
    ...handover,
    // Root-owned login files only: a user's ~/.profile or ~/.bashrc would run unjudged code.
    'if [[ -r /etc/profile ]]; then . /etc/profile >/dev/null 2>&1 </dev/null; fi',
    'unalias -a 2>/dev/null',
    'while IFS= read -r __cg_f; do builtin unset -f -- "$__cg_f"; done < <(compgen -A function)',
    'set +o history +H +m 2>/dev/null',
    'shopt -u expand_aliases',
    'shopt -s extdebug',
    'set -T',
    "trap '' TSTP",
    'builtin unset BASH_ENV ENV',
    // Pagers in secure mode: no `!command`, no editor, no LESSOPEN.
    'export LESSSECURE=1 SYSTEMD_PAGERSECURE=1',
    'if command -v less >/dev/null 2>&1; then export PAGER=less; fi',
    cwd !== undefined ? `builtin cd -- ${shellQuote(cwd)} 2>/dev/null` : ':',
    "trap '__cg_int=1' INT",
    '__cg_status=0 __cg_k=0 __cg_int=0 __cg_c= __cg_opts=',
  ];
}

/**
 * The DEBUG trap is assembled per frame from readonly pieces, with the frame's allow-list
 * named literally (`__cg_ok_7`): no variable a user command could change points at it.
 * `report` redirects the trap's report of a command it did not expect.
 */
function trapPieces(report: string): string[] {
  const head = [
    `__cg_c=\${BASH_COMMAND//[$'\\t\\n']/ }`,
    `while [[ $__cg_c == *'  '* ]]; do __cg_c=\${__cg_c//'  '/' '}; done`,
    `__cg_c=\${__cg_c# }; __cg_c=\${__cg_c% }`,
    'if [[ ${#BASH_SOURCE[@]} != 0 ]]; then',
    '  if [[ $__cg_int == 1 ]]; then return 2; fi',
    '  if [[ -z ${__cg_ok_',
  ].join('\n');
  const middle = [
    '[$__cg_c]+x} ]]; then',
    `    builtin printf '\\033]${MARKER_OSC};%s;unjudged;%q\\007' "$__cg_n" "$__cg_c" ${report} 2>/dev/null`,
    '    ',
  ].join('\n');
  const tail = '\n  fi\nfi';
  return [
    `readonly __cg_t1=${shellQuote(head)} __cg_t2=${shellQuote(middle)} __cg_t3=${shellQuote(tail)}`,
  ];
}

/**
 * Builds the frame's readonly allow-list from `__cg_fields[3...]` (each `%b`-encoded), installs
 * the trap and runs the command, leaving its status in `__cg_status`.
 */
function runFrame(): string[] {
  return [
    '__cg_k=$((__cg_k + 1))',
    'declare -gA "__cg_ok_$__cg_k"',
    'declare -gn __cg_ref="__cg_ok_$__cg_k"',
    'for __cg_f in "${__cg_fields[@]:3}"; do builtin printf -v __cg_f %b "$__cg_f"; __cg_ref[$__cg_f]=1; done',
    'builtin unset -n __cg_ref',
    'builtin readonly "__cg_ok_$__cg_k"',
    'builtin printf -v __cg_cmd %b "${__cg_fields[2]}"',
    "if [[ ${__cg_fields[1]} == allow ]]; then __cg_d='[[ 1 ]]'; else __cg_d='[[ ! 1 ]]'; fi",
    'builtin trap "$__cg_t1$__cg_k$__cg_t2$__cg_d$__cg_t3" DEBUG',
    '__cg_int=0',
    'if [[ $__cg_opts == *e* ]]; then set -e; fi; if [[ $__cg_opts == *u* ]]; then set -u; fi; if [[ $__cg_opts == *x* ]]; then set -x; fi',
    '. /dev/fd/5 5<<<"$__cg_cmd"',
    '__cg_status=$?',
    '__cg_opts=$-; set +eux',
    'builtin trap - DEBUG',
    'if [[ $__cg_int == 1 ]]; then __cg_status=130; fi',
  ];
}

/**
 * The interactive executor: reads frames from the terminal forever. Markers go to /dev/tty so
 * a user's `exec >file` cannot hide them.
 */
export function interactiveExecutorScript(options: ExecutorOptions): string {
  const report = '>/dev/tty';
  return [
    ...setup(nonceHandover('</dev/tty', '>/dev/tty', 'true'), options.cwd),
    ...trapPieces(report),
    'while :; do',
    '  __cg_tty=$(command -p stty -g 2>/dev/null; command -p stty -echo 2>/dev/null)',
    // SRANDOM is only trusted while it is bash's own (two reads differ); a value the user
    // assigned would make the challenge predictable, so the kernel's random source is read instead.
    '  __cg_ch=${SRANDOM-}; __cg_ch2=${SRANDOM-}',
    '  if [[ -n $__cg_ch && $__cg_ch != "$__cg_ch2" ]]; then __cg_ch=$__cg_ch$__cg_ch2$SRANDOM$SRANDOM; else __cg_ch=$(command -p od -An -N16 -tx1 /dev/urandom); __cg_ch=${__cg_ch//[!0-9a-f]/}; fi',
    '  builtin printf -v __cg_pwd %q "$PWD"',
    `  builtin printf '\\033]${MARKER_OSC};%s;ready;%s;%s;%s;%s\\007' "$__cg_n" "$__cg_ch" "$__cg_status" "$EUID" "$__cg_pwd" >/dev/tty`,
    '  __cg_payload=',
    '  while :; do',
    '    IFS= builtin read -r __cg_l </dev/tty || exit 0',
    '    [[ $__cg_l == *"$__cg_ch "* ]] || continue',
    '    __cg_l=${__cg_l##*"$__cg_ch "}',
    '    [[ $__cg_l == . ]] && break',
    '    __cg_payload+=$__cg_l',
    '  done',
    '  if [[ -n $__cg_tty ]]; then command -p stty "$__cg_tty" 2>/dev/null; fi',
    "  IFS=' ' builtin read -r -a __cg_fields <<<\"$__cg_payload\"",
    '  case ${__cg_fields[0]-} in',
    '    run)',
    ...runFrame().map((l) => `      ${l}`),
    '      ;;',
    '    complete)',
    '      builtin printf -v __cg_f %b "${__cg_fields[2]-}"',
    '      case ${__cg_fields[1]-} in c|d|f) ;; *) __cg_fields[1]=f;; esac',
    "      builtin mapfile -t -n 200 __cg_found < <(compgen \"-${__cg_fields[1]}\" -- \"$__cg_f\" 2>/dev/null)",
    "      builtin printf -v __cg_l '%q ' \"${__cg_found[@]}\"",
    `      builtin printf '\\033]${MARKER_OSC};%s;completions;%s\\007' "$__cg_n" "$__cg_l" >/dev/tty`,
    '      ;;',
    '  esac',
    'done',
  ].join('\n');
}

/**
 * A one-shot executor for `ssh user+CHG+server@proxy 'command'`: the same trap and allow-list,
 * the command given in the script itself, its status the script's. Reports go to stderr.
 */
export function execExecutorScript(options: ExecutorOptions & { readonly command: string; readonly allowList: readonly string[]; readonly opaque: 'block' | 'allow' }): string {
  const report = '>&2';
  const fields = ['run', options.opaque, encodeField(options.command), ...options.allowList.map(encodeField)];
  return [
    // Asked on stdout: its first bytes whatever the command prints (the proxy answers once, then relays the user's input).
    ...setup(nonceHandover('', '', '[[ -t 0 ]]'), options.cwd),
    ...trapPieces(report),
    '__cg_opts=$-',
    `__cg_fields=(${fields.map((f) => shellQuote(f)).join(' ')})`,
    ...runFrame(),
    'exit "$__cg_status"',
  ].join('\n');
}

/**
 * A frame field as the executor reads it: letters and digits as they are, every other byte
 * as `\xHH` for `printf %b`. Nothing the terminal's line discipline treats specially (no
 * control characters, no spaces) ever crosses the wire.
 */
export function encodeField(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const alnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    out += alnum ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  // An empty field would vanish when the line is split: `\x00` decodes to the empty string.
  return out === '' ? '\\x00' : out;
}

/** Single-quoted for bash. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** The command the proxy asks the device's sshd to run. */
export function executorCommand(script: string): string {
  return `exec bash --norc --noprofile -c ${shellQuote(script)}`;
}
