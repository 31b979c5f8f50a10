/**
 * Environment variables that make other programs run code or look programs up elsewhere:
 * setting one (`LD_PRELOAD=x.so ls`, `export PATH=/tmp:$PATH`, `BASH_ENV=f bash -c :`) changes
 * what a judged command runs without the command showing it.
 */
const CODE_VARIABLES =
  /^(BASH_ENV|ENV|BASH_FUNC_.+|SHELLOPTS|BASHOPTS|PROMPT_COMMAND|LD_[A-Z_]+|GCONV_PATH|PYTHON(STARTUP|PATH|HOME|INSPECT|USERBASE)|PERL5OPT|PERL5LIB|PERLLIB|PERL5DB|RUBYOPT|RUBYLIB|NODE_OPTIONS|NODE_PATH|GIT_(SSH|SSH_COMMAND|EXEC_PATH|PAGER|EDITOR|EXTERNAL_DIFF|ASKPASS|CONFIG[A-Z_0-9]*|PROXY_COMMAND|SEQUENCE_EDITOR|TEMPLATE_DIR)|EDITOR|VISUAL|SUDO_EDITOR|SYSTEMD_EDITOR|FCEDIT|PAGER|MANPAGER|MANOPT|SYSTEMD_PAGER|SYSTEMD_PAGERSECURE|SYSTEMD_LESS|LESS|LESSOPEN|LESSCLOSE|LESSSECURE|LESSKEY|LESSKEYIN|LESSEDIT|SSH_ASKPASS|SUDO_ASKPASS|BROWSER|PATH|TMPDIR_EXEC|TAR_OPTIONS|SHELL|CONFIG_SHELL|MAKEFLAGS|MAKEFILES|XARGS_SHELL|SYSTEMD_URLIFY|GZIP|BZIP2|XZ_OPT|ZSTD_OPTIONS|LESSSECURE_ALLOW)$/;

/**
 * Variables changeguard's executor relies on in the device's shell: the random source of each
 * prompt's challenge and the timeout of its reads. Setting or unsetting one is an attack on
 * the judge (the session is cut), not a command to judge.
 */
const EXECUTOR_VARIABLES = /^(SRANDOM|RANDOM|TMOUT)$/;

/** Why `NAME` given to a builtin that sets or unsets it (read, printf -v, for, unset...) matters. */
export function sensitiveNameReason(name: string): { readonly reason: string; readonly tampering: boolean } | undefined {
  const bare = name.replace(/\[.*$/s, '');
  if (EXECUTOR_VARIABLES.test(bare)) return { reason: `${bare} is used by changeguard's check in the device's shell`, tampering: true };
  if (CODE_VARIABLES.test(bare)) return { reason: `setting ${bare} changes what programs run, in ways changeguard cannot judge`, tampering: false };
  if (PROMPT_VARIABLES.test(bare)) return { reason: `${bare} runs the commands in its value when the prompt is shown`, tampering: false };
  return undefined;
}

/** Prompt strings run `$(...)` when expanded (PS4 with `set -x`): only plain text is harmless. */
const PROMPT_VARIABLES = /^PS[0-4]$/;

/**
 * Why assigning `NAME=value` (as written: `value` unquoted, `literal` false when it holds an
 * expansion) is opaque, or undefined when it is harmless.
 */
export function sensitiveAssignmentReason(assignment: string, literal: boolean): string | undefined {
  const eq = assignment.indexOf('=');
  if (eq <= 0) return undefined;
  const name = assignment.slice(0, eq).replace(/\+$/, '').replace(/\[.*$/, '');
  const value = assignment.slice(eq + 1);
  if (EXECUTOR_VARIABLES.test(name)) return `${name} is used by changeguard's check in the device's shell`;
  if (CODE_VARIABLES.test(name)) return `setting ${name} changes what programs run, in ways changeguard cannot judge`;
  if (PROMPT_VARIABLES.test(name) && (!literal || /\$[({[]|`/.test(value))) return `${name} runs the commands in its value when the prompt is shown`;
  return undefined;
}
