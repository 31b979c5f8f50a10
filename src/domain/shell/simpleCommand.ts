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
   * True when changeguard cannot read what the command runs: the program name is computed
   * (`$X`, `$(echo rm)`), the program runs code from elsewhere (an interpreter, a script,
   * an interactive shell, an editor's shell escape), or the text could not be parsed.
   */
  readonly opaque: boolean;
  /** Why it is opaque, for the user and the record. */
  readonly opaqueReason?: string | undefined;
  /**
   * `program`: opaque because of what the named program does (python, vim, bash script.sh):
   * a policy rule naming the program as allowed vouches for it. `structure`: opaque because
   * the command itself cannot be read (computed names, scripts by path, parse errors):
   * nothing vouches for it.
   */
  readonly opaqueKind?: 'program' | 'structure' | undefined;
  /** Set when the command would switch off changeguard's check in the shell: the session is cut. */
  readonly tampering?: string | undefined;
  /**
   * Files the command writes, as named (redirections, copy and tee targets, in-place edits).
   * Names relative to the working directory are checked again when it is known
   * (domain/shell/workingDirectoryWrites.ts): `cd .git/hooks; cat > pre-commit`.
   */
  readonly writes?: readonly string[] | undefined;
}

/** A shell function defined on a line: its body runs later, when it is called. */
export interface ShellFunction {
  readonly name: string;
  /** The `$BASH_COMMAND` texts of its body (see bashCommandText.ts). */
  readonly runtimeTexts: readonly string[];
  /** Its body's commands, judged when it was defined. */
  readonly commands: readonly SimpleCommand[];
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
  /**
   * The collapsed `$BASH_COMMAND` text of every command bash will show its DEBUG trap while
   * running the line (eval'd literals included): the run-time allow-list when it is allowed.
   */
  readonly runtimeTexts: readonly string[];
  /** Functions the line defines. */
  readonly functions: readonly ShellFunction[];
}
