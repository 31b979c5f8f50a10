/**
 * What a command rule sees: one simple command after shell normalisation.
 *
 * `text` is the normalised form rules' patterns search: program basename, then the
 * arguments with quotes and escapes removed, joined by single spaces, then redirections
 * (`>file`, `2>&1`). Assignment prefixes (`FOO=1`) are dropped.
 */
export interface SimpleCommand {
  /** Program basename (`/usr/bin/rm` -> `rm`); empty when `opaque`. */
  readonly program: string;
  /** Arguments after the program name, unquoted. */
  readonly args: readonly string[];
  /** Normalised text: `program arg1 arg2 ...` (+ redirections). */
  readonly text: string;
  /**
   * True for a wrapper (`sudo`, `env`, `nice`, `nohup`, `timeout`, `time`, `command`,
   * `exec`, `xargs`, `sh -c`, `bash -c`, `eval`): rules are evaluated against it, but it is
   * transparent for Force (only what it runs must be forced).
   */
  readonly wrapper: boolean;
  /**
   * True when the program name is not a literal (`$X`, `$(echo rm)`), the command is a
   * shell fed from a pipe or stdin redirect (`curl x | sh`), or the text could not be parsed.
   */
  readonly opaque: boolean;
}

export interface ParsedLine {
  /** The input line as given. */
  readonly line: string;
  /** Every simple command the line would run, in source order, wrappers before what they wrap. */
  readonly commands: readonly SimpleCommand[];
  /** True if any command is opaque (including a parse error). */
  readonly opaque: boolean;
  /** Set when the shell grammar reported an error; such a line is wholly opaque. */
  readonly parseError?: string;
}
