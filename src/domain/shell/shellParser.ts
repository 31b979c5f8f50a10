import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';
import type { Node } from 'web-tree-sitter';
import { debugTrapTexts } from './bashCommandText.js';
import { functionNameTampering, tamperingReason } from './integrationTampering.js';
import { LruCache } from './lruCache.js';
import { installReason, opaquePathReason, opaqueProgramReason } from './programKinds.js';
import { sensitiveAssignmentReason, sensitiveNameReason } from './sensitiveVariables.js';
import type { ParsedLine, ShellFunction, SimpleCommand } from './simpleCommand.js';
import { SyntaxReader, type SyntaxNode } from './syntaxNode.js';
import { isKnownWrapper, SHELLS, unwrap } from './wrappers.js';
import { assignmentOf, wordOf } from './words.js';
import type { Word } from './words.js';

/** Wrapper unwraps plus `sh -c`/`eval` re-parses along one path; beyond, the rest is opaque. */
export const MAX_DEPTH = 8;
/** Syntax nesting the walk follows before giving up (keeps recursion far from the JS stack limit). */
const MAX_NESTING = 1000;
const CACHE_ENTRIES = 10_000;
/** Longer lines are parsed but not cached, so the cache's memory stays bounded. */
const MAX_CACHED_LINE = 4096;
/** Longer lines are not parsed at all: parse time grows with length and no operator types this. */
const MAX_LINE = 262_144;

interface Context {
  /** Wrapper/re-parse depth. */
  readonly depth: number;
  /** Syntax-tree depth of the walk, summed over re-parsed lines so the JS stack stays bounded. */
  readonly nesting: number;
  /** Stdin carries data from elsewhere (a pipe, `<file`, a heredoc): a shell reading it runs unseen code. */
  readonly stdinFed: boolean;
  /** Arguments are appended from stdin (`xargs`): a wrapper's command may come from there. */
  readonly argsFromStdin: boolean;
  /** Inside `sh -c '...'` and the like: a new bash process, without changeguard's run-time check. */
  readonly nestedShell: boolean;
}

const TOP: Context = { depth: 0, nesting: 0, stdinFed: false, argsFromStdin: false, nestedShell: false };

const DECLARATIONS = new Set(['declaration_command', 'unset_command']);
const REDIRECTS = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);
/** Builtins that take variable names: a computed name could reach any variable, changeguard's too. */
const NAME_TAKING = new Set(['declare', 'typeset', 'local', 'export', 'readonly', 'unset', 'read', 'mapfile', 'readarray', 'getopts', 'printf']);
/** Programs whose `NAME=value` arguments set the environment of the command they run. */
const ENVIRONMENT_SETTERS = new Set(['env', 'sudo', 'doas', 'systemd-run']);
/** Programs that write to a destination named in their arguments. */
const COPIERS = new Set(['cp', 'mv', 'ln', 'install', 'rsync', 'tee', 'dd', 'link']);

/**
 * Shell code a nested bash (`sh -c '...'`) would evaluate dynamically: there the run-time
 * check of changeguard's executor does not follow, so a value could smuggle code in
 * (`x='a[$(rm y)]'; echo $((x))`). Such a nested script is opaque.
 */
const DYNAMIC_EVALUATION = new RegExp(
  [
    String.raw`\$\(\(|\(\(|\$\[|\$\{!|@P\}|\[\[[^\]]*-(eq|ne|lt|le|gt|ge)\b|\[\s*-v\b|\btest\s+-v\b`,
    // An array subscript that is not a plain number (`${a[X]}`, `a[$i]=1`) is arithmetic.
    String.raw`\$\{[A-Za-z_]\w*\[(?![0-9]+\]|[@*]\])|\b[A-Za-z_]\w*\[(?![0-9]+\])[^\]]*\]\+?=`,
    // A substring offset or length that is not a plain number (`${v:X}`, `${v:0:n}`).
    String.raw`\$\{[A-Za-z_]\w*:(?![-=?+])\s*(?!-?[0-9]+\s*(?::\s*-?[0-9]+\s*)?\})`,
    // Integer variables evaluate every value assigned to them.
    String.raw`\b(declare|typeset|local|readonly|export)\s+(-[A-Za-z]+\s+)*-[A-Za-z]*i`,
  ].join('|'),
);

let initialised: Promise<void> | undefined;

interface Collected {
  texts: string[];
  functions: ShellFunction[];
}

/**
 * Turns a bash command line into the simple commands it would run (docs/DESIGN.md, "Shell
 * normalisation"), walking tree-sitter-bash's syntax tree, and predicts the `$BASH_COMMAND`
 * texts the executor's run-time check will see (bashCommandText.ts).
 */
export class ShellParser {
  private readonly cache = new LruCache<string, ParsedLine>(CACHE_ENTRIES);
  /** Redirections tree-sitter hangs on a list or pipeline, by the id of the command bash gives them to. */
  private pendingRedirects = new Map<number, SyntaxNode[]>();

  private readonly reader: SyntaxReader;

  private constructor(private readonly parser: Parser, language: Language) {
    this.reader = new SyntaxReader(language);
  }

  static async load(): Promise<ShellParser> {
    initialised ??= Parser.init();
    await initialised;
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
    const language = await Language.load(await readFile(wasm));
    const parser = new Parser();
    parser.setLanguage(language);
    return new ShellParser(parser, language);
  }

  parse(line: string): ParsedLine {
    const cached = this.cache.get(line);
    if (cached !== undefined) return cached;
    const commands: SimpleCommand[] = [];
    const collected: Collected = { texts: [], functions: [] };
    const parseError = this.walkLine(line, TOP, commands, collected);
    const result: ParsedLine = Object.freeze({
      line,
      commands: Object.freeze(commands),
      opaque: commands.some((c) => c.opaque),
      ...(parseError === undefined ? {} : { parseError }),
      runtimeTexts: Object.freeze([...new Set(collected.texts)]),
      functions: Object.freeze(collected.functions),
    });
    if (line.length <= MAX_CACHED_LINE) this.cache.set(line, result);
    return result;
  }

  /**
   * True when `text` is the start of a command that goes on past the end of the line (an open
   * quote, heredoc, loop, group or trailing operator): the prompt asks for more instead of
   * judging a fragment.
   */
  continues(text: string): boolean {
    if (text.length > MAX_LINE || text.includes('\0')) return false;
    const tree = this.parser.parse(text);
    if (tree === null) return false;
    try {
      if (!tree.rootNode.hasError) return false;
      const end = text.trimEnd().length;
      const problem = firstProblem(tree.rootNode);
      if (problem === null) return false;
      if (problem.isMissing) return problem.startIndex >= end;
      return problem.endIndex >= end && opensConstruct(text.slice(problem.startIndex));
    } finally {
      tree.delete();
    }
  }

  /** Appends the commands of `line` to `out`; on a syntax error, one opaque command and the error. */
  private walkLine(line: string, ctx: Context, out: SimpleCommand[], collected: Collected): string | undefined {
    const error = (message: string): string => {
      out.push(opaque(line.trim(), `changeguard could not parse it (${message})`));
      return message;
    };
    if (line.length > MAX_LINE) return error(`line longer than ${MAX_LINE} characters`);
    // tree-sitter reads NUL as end of input, which would hide whatever follows it.
    const nul = line.indexOf('\0');
    if (nul >= 0) return error(`NUL character at offset ${nul}`);
    const source = terminated(line);
    const tree = this.parser.parse(source);
    if (tree === null) return error('the parser gave no result');
    try {
      const rootNode = tree.rootNode;
      if (rootNode.hasError) return error(describeError(rootNode));
      const root = this.reader.read(rootNode, source);
      // Commands of a nested shell run in a new bash, outside the executor's check.
      if (!ctx.nestedShell) collected.texts.push(...debugTrapTexts(root));
      this.walk(root, ctx, out, collected);
      return undefined;
    } finally {
      tree.delete();
    }
  }

  private walk(node: SyntaxNode, ctx: Context, out: SimpleCommand[], collected: Collected): void {
    if (ctx.nesting > MAX_NESTING) {
      out.push(opaque(node.text.trim(), 'the line nests too deeply to follow'));
      return;
    }
    const inner: Context = { ...ctx, nesting: ctx.nesting + 1 };
    switch (node.type) {
      case 'comment':
        return;
      case 'command':
        this.command(node, this.takePending(node), inner, out, collected);
        return;
      case 'redirected_statement':
        this.redirected(node, inner, out, collected);
        return;
      case 'pipeline': {
        let index = 0;
        for (const child of node.children) {
          if (child === null || !child.isNamed) continue;
          this.walk(child, index++ > 0 ? { ...inner, stdinFed: true } : inner, out, collected);
        }
        return;
      }
      case 'list': {
        // `a && b && c ...` nests to the left: flatten it so long chains cost no nesting.
        const pending: SyntaxNode[] = [node];
        const items: SyntaxNode[] = [];
        while (pending.length > 0) {
          const n = pending.pop() as SyntaxNode;
          if (n.type !== 'list') {
            items.push(n);
            continue;
          }
          const children = n.children;
          for (let i = children.length - 1; i >= 0; i--) {
            const child = children[i];
            if (child !== null && child !== undefined && child.isNamed) pending.push(child);
          }
        }
        for (const item of items) this.walk(item, inner, out, collected);
        return;
      }
      case 'variable_assignment':
      case 'variable_assignments':
        this.assignments(node, inner, out, collected);
        return;
      case 'function_definition':
        this.functionDefinition(node, inner, out, collected);
        return;
      case 'for_statement': {
        // `for PATH in /tmp; do ...`: the loop variable is assigned like any other.
        const variable = node.childForFieldName('variable')?.text;
        if (variable !== undefined) this.flagNames([variable], `for ${variable} in ...`, out);
        this.walkChildren(node, inner, out, collected);
        return;
      }
      default:
        if (DECLARATIONS.has(node.type)) {
          this.declaration(node, this.takePending(node), inner, out, collected);
          return;
        }
        // Lists, subshells, groups, loops, if/case, substitutions, words...:
        // whatever commands they hold, in source order.
        this.walkChildren(node, inner, out, collected);
    }
  }

  private takePending(node: SyntaxNode): SyntaxNode[] {
    const pending = this.pendingRedirects.get(node.id);
    if (pending === undefined) return [];
    this.pendingRedirects.delete(node.id);
    return pending;
  }

  /** Walks the named children that can hold a command (leaves never do). */
  private walkChildren(node: SyntaxNode, ctx: Context, out: SimpleCommand[], collected: Collected): void {
    for (const child of node.children) {
      if (child !== null && child.isNamed && child.childCount > 0) this.walk(child, ctx, out, collected);
    }
  }

  private redirected(node: SyntaxNode, ctx: Context, out: SimpleCommand[], collected: Collected): void {
    let body: SyntaxNode | null = null;
    const redirects: SyntaxNode[] = [];
    // Children are told apart by type: web-tree-sitter's field lookups cost O(index) each.
    for (const child of node.children) {
      if (child === null || !child.isNamed) continue;
      if (REDIRECTS.has(child.type)) redirects.push(child);
      else body ??= child;
    }
    const withPending = [...redirects, ...this.takePending(node)];
    if (body?.type === 'command') {
      this.command(body, withPending, readsAny(withPending) ? { ...ctx, stdinFed: true } : ctx, out, collected);
    } else if (body !== null && DECLARATIONS.has(body.type)) {
      this.declaration(body, withPending, ctx, out, collected);
    } else if (body !== null && (body.type === 'list' || body.type === 'pipeline')) {
      // tree-sitter hangs `a && b >f` on the list; bash gives the redirection to `b`.
      const last = lastCommandOf(body);
      if (last !== null) this.pendingRedirects.set(last.id, [...(this.pendingRedirects.get(last.id) ?? []), ...withPending]);
      this.walk(body, ctx, out, collected);
      for (const r of withPending) this.walk(r, ctx, out, collected);
    } else {
      const bodyCtx = readsAny(withPending) ? { ...ctx, stdinFed: true } : ctx;
      if (body !== null) this.walk(body, bodyCtx, out, collected);
      for (const r of withPending) this.walk(r, ctx, out, collected);
    }
  }

  private command(node: SyntaxNode, extraRedirects: readonly SyntaxNode[], ctx: Context, out: SimpleCommand[], collected: Collected): void {
    const words: Word[] = [];
    const redirs: string[] = [];
    const assignments: Word[] = [];
    let stdin = false;
    let named = false;
    let lastArgEnd = -1;
    let dollar: SyntaxNode | null = null;
    // Arguments with nothing between them in the source are one word to the shell.
    const addArgument = (word: Word, start: number, end: number): void => {
      const last = words[words.length - 1];
      if (start === lastArgEnd && last !== undefined && words.length > 1) {
        words[words.length - 1] = { value: last.value + word.value, literal: last.literal && word.literal };
      } else {
        words.push(word);
      }
      lastArgEnd = end;
    };
    const children = [...node.children, ...extraRedirects].filter((c): c is SyntaxNode => c !== null);
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as SyntaxNode;
      // Substitutions anywhere in the command run before it (an assignment's are walked
      // without reporting the assignment: emit() judges it with the command).
      if (child.type === 'variable_assignment') this.walkChildren(child, ctx, out, collected);
      else if (child.isNamed && child.childCount > 0) this.walk(child, ctx, out, collected);
      const next = children[i + 1];
      if (named && next !== undefined && REDIRECTS.has(next.type) && next.startIndex === child.endIndex && /^(\d+|\{[A-Za-z_]\w*\})$/.test(child.text)) {
        // `2>x` as tree-sitter sometimes splits it (`0<x`, `{fd}>x`): a descriptor, not an argument.
        continue;
      }
      if (child.type === 'command_name') {
        named = true;
        words.push(wordOf(child));
      } else if (REDIRECTS.has(child.type)) {
        stdin = redirect(child, redirs, words) || stdin;
      } else if (!named) {
        if (child.type === 'variable_assignment') assignments.push(assignmentOf(child));
      } else {
        // tree-sitter splits a translated string `$"text"` into `$` and a string.
        if (child.type === '$') {
          dollar = child;
          continue;
        }
        let start = child.startIndex;
        if (dollar !== null) {
          if (child.type === 'string' && dollar.endIndex === child.startIndex) start = dollar.startIndex;
          else addArgument({ value: '$', literal: true }, dollar.startIndex, dollar.endIndex);
          dollar = null;
        }
        const word = child.type === 'variable_assignment' ? assignmentOf(child) : wordOf(child);
        addArgument(word, start, child.endIndex);
      }
    }
    if (dollar !== null) addArgument({ value: '$', literal: true }, dollar.startIndex, dollar.endIndex);
    if (!named) {
      this.reportAssignments(assignments, out);
      return;
    }
    this.emit(words, redirs, stdin ? { ...ctx, stdinFed: true } : ctx, out, collected, assignments);
  }

  /** `NAME=value` alone: harmless, unless the name makes later programs run code. */
  private assignments(node: SyntaxNode, ctx: Context, out: SimpleCommand[], collected: Collected): void {
    const list = node.type === 'variable_assignment' ? [node] : node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type === 'variable_assignment');
    this.reportAssignments(list.map(assignmentOf), out);
    this.walkChildren(node, ctx, out, collected);
  }

  private reportAssignments(assignments: readonly Word[], out: SimpleCommand[]): void {
    for (const assignment of assignments) {
      const named = sensitiveNameReason(assignment.value.replace(/\+?=.*$/s, ''));
      if (named?.tampering === true) {
        out.push(tampered(assignment.value, named.reason));
        continue;
      }
      const reason = sensitiveAssignmentReason(assignment.value, assignment.literal);
      if (reason !== undefined) out.push(opaque(assignment.value, reason));
      const tampering = tamperingReason('', [assignment.value]);
      if (tampering !== undefined) out.push(tampered(assignment.value, tampering));
    }
  }

  private declaration(node: SyntaxNode, extraRedirects: readonly SyntaxNode[], ctx: Context, out: SimpleCommand[], collected: Collected): void {
    const words: Word[] = [];
    const redirs: string[] = [];
    for (const child of node.children) {
      if (child === null) continue;
      if (child.type === 'variable_assignment') this.walkChildren(child, ctx, out, collected);
      else if (child.isNamed && child.childCount > 0) this.walk(child, ctx, out, collected);
      if (words.length === 0 && !child.isNamed) words.push({ value: child.type, literal: true });
      else if (child.type === 'variable_assignment') words.push(assignmentOf(child));
      else if (REDIRECTS.has(child.type)) redirect(child, redirs, words);
      else if (child.isNamed) words.push(wordOf(child));
    }
    for (const r of extraRedirects) {
      this.walk(r, ctx, out, collected);
      redirect(r, redirs, words);
    }
    const program = words[0]?.value ?? '';
    // `export PATH=...`, `declare -x LD_PRELOAD=...`: the same as a prefix assignment.
    if (program !== 'unset') {
      for (const word of words.slice(1)) {
        if (!word.value.includes('=')) continue;
        const reason = sensitiveAssignmentReason(word.value, word.literal);
        if (reason !== undefined) out.push(opaque(word.value, reason));
      }
    }
    this.emit(words, redirs, ctx, out, collected, []);
  }

  /** Variables a command sets or unsets by name: true when one of them is sensitive (recorded in `out`). */
  private flagNames(names: readonly string[], text: string, out: SimpleCommand[]): boolean {
    let flagged = false;
    for (const name of names) {
      const found = sensitiveNameReason(name);
      if (found === undefined) continue;
      out.push(found.tampering ? tampered(text, found.reason) : opaque(text, found.reason));
      flagged = true;
    }
    return flagged;
  }

  private functionDefinition(node: SyntaxNode, ctx: Context, out: SimpleCommand[], collected: Collected): void {
    const nameNode = node.childForFieldName('name');
    const name = nameNode?.text ?? '';
    const tampering = functionNameTampering(name);
    if (tampering !== undefined) out.push(tampered(`${name}()`, tampering));
    const body: SimpleCommand[] = [];
    const bodyCollected: Collected = { texts: [], functions: [] };
    for (const child of node.children) {
      if (child !== null && child.isNamed && child.childCount > 0 && child.id !== nameNode?.id) this.walk(child, ctx, body, bodyCollected);
    }
    out.push(...body);
    collected.functions.push(...bodyCollected.functions);
    const bodyNode = node.childForFieldName('body');
    collected.functions.push(
      Object.freeze({ name, runtimeTexts: Object.freeze(bodyNode ? debugTrapTexts(bodyNode) : []), commands: Object.freeze(body) }),
    );
  }

  /** Turns an argument vector into commands: the command itself, then what it wraps. */
  private emit(
    words: readonly Word[],
    redirs: readonly string[],
    ctx: Context,
    out: SimpleCommand[],
    collected: Collected,
    assignments: readonly Word[],
  ): void {
    const head = words[0];
    if (head === undefined) return;
    const args = words.slice(1);
    const argValues = args.map((a) => a.value);
    const text = withRedirects([head.value, ...argValues].join(' '), redirs);
    // `FOO=1 cmd`, and `env FOO=1 cmd` / `sudo FOO=1 cmd`, which set it for what they run.
    const setsEnvironment = ENVIRONMENT_SETTERS.has(basename(head.value)) ? args.filter((a) => /^[A-Za-z_][^=/\s]*=/.test(a.value)) : [];
    for (const assignment of [...assignments, ...setsEnvironment]) {
      const reason = sensitiveAssignmentReason(assignment.value, assignment.literal);
      if (reason !== undefined) out.push(opaque(`${assignment.value} ${text}`, reason));
    }
    if (!head.literal || head.value === '') {
      out.push(opaque(text, 'the program name is computed when it runs'));
      return;
    }
    if (ctx.depth > MAX_DEPTH) {
      out.push(opaque(text, 'it wraps other commands too deeply to follow'));
      return;
    }
    const program = basename(head.value);
    if (program === '' || program.includes('{}')) {
      out.push(opaque(text, 'the program is chosen when it runs'));
      return;
    }
    // Kept on the command: a relative name is resolved against the working directory when judged.
    const writes = writeTargets(program, args, redirs);
    const plain = (wrapper: boolean, extra: Partial<SimpleCommand> = {}): SimpleCommand =>
      Object.freeze({
        program,
        args: Object.freeze(argValues),
        text: withRedirects([program, ...argValues].join(' '), redirs),
        wrapper,
        opaque: false,
        ...(writes.length > 0 ? { writes: Object.freeze(writes) } : {}),
        ...extra,
      });
    const tampering = tamperingReason(program, argValues);
    if (tampering !== undefined) {
      out.push(plain(false, { tampering }));
      return;
    }
    const assigned = namesAssignedBy(program, argValues);
    if (assigned.length > 0 && this.flagNames(assigned, text, out)) return;
    if (DECLARERS_OF_FUNCTIONS.has(program) && exportsFunctionsOrNamerefs(program, argValues)) {
      out.push(plain(false, { opaque: true, opaqueReason: `${program} ${argValues.join(' ')} makes a nameref or passes functions to child shells, where changeguard's check does not follow`, opaqueKind: 'structure' }));
      return;
    }
    // matchAll copies its expression on every call: only lines with `${` can hold `${NAME=...}`.
    if (text.includes('${')) {
      for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?=/g)) {
        if (this.flagNames([match[1] as string], text, out)) return;
      }
    }
    if (PROGRAM_TEXT_TAKERS.has(program) && programTextComputed(program, args)) {
      out.push(plain(false, { opaque: true, opaqueReason: `the ${program} program is computed when it runs`, opaqueKind: 'structure' }));
      return;
    }
    const pathReason = opaquePathReason(head.value);
    if (pathReason !== undefined) {
      out.push(plain(false, { opaque: true, opaqueReason: pathReason, opaqueKind: 'structure' }));
      return;
    }
    if (NAME_TAKING.has(program) && computedName(program, args)) {
      out.push(plain(false, { opaque: true, opaqueReason: `${program} is given a variable name computed when it runs`, opaqueKind: 'structure' }));
      return;
    }
    const installs = installReason(writes);
    if (installs !== undefined) {
      out.push(plain(false, { opaque: true, opaqueReason: installs, opaqueKind: 'structure' }));
      return;
    }
    const how = unwrap(program, args);
    if (how === undefined || how.kind === 'none') {
      if (ctx.argsFromStdin && how?.kind === 'none' && isKnownWrapper(program)) {
        // `xargs env`, `xargs sudo`: the command to run comes from stdin.
        out.push(plain(false, { opaque: true, opaqueReason: `${program} runs a program named on its input`, opaqueKind: 'structure' }));
        return;
      }
      const programReason = opaqueProgramReason(program, argValues);
      if (programReason !== undefined) out.push(plain(false, { opaque: true, opaqueReason: programReason, opaqueKind: 'program' }));
      else if (ctx.stdinFed && SHELLS.has(program)) out.push(plain(false, { opaque: true, opaqueReason: `${program} runs the script it reads from its input`, opaqueKind: 'structure' }));
      else out.push(plain(false));
      return;
    }
    const deeper: Context = { ...ctx, depth: ctx.depth + 1 };
    switch (how.kind) {
      case 'opaque':
        out.push(plain(false, { opaque: true, opaqueReason: `${program}: ${how.reason}`, opaqueKind: SHELLS.has(program) ? 'program' : 'structure' }));
        return;
      case 'exec':
        out.push(plain(true));
        for (const argv of how.argvs) {
          this.emit(argv, redirs, { ...deeper, argsFromStdin: ctx.argsFromStdin || how.appendsArgs === true }, out, collected, []);
        }
        return;
      case 'line': {
        out.push(plain(true));
        const nested = ctx.nestedShell || how.nestedShell === true;
        for (const line of how.lines) {
          if (deeper.depth > MAX_DEPTH) {
            out.push(opaque(line.trim(), 'it wraps other commands too deeply to follow'));
          } else {
            const inner: SimpleCommand[] = [];
            this.walkLine(line, { ...deeper, argsFromStdin: false, nestedShell: nested }, inner, collected);
            if (how.nestedShell === true && evaluatesDynamically(line, inner)) {
              out.push(
                plain(false, {
                  opaque: true,
                  opaqueReason: `the script given to ${program} evaluates values as code, in a shell where changeguard's run-time check does not follow`,
                  opaqueKind: 'structure',
                }),
              );
            } else {
              out.push(...inner);
            }
          }
        }
        return;
      }
    }
  }
}

/**
 * A nested shell's script that could turn a value into code: arithmetic and indirect
 * expansion (`$((x))` with x='a[$(rm y)]'), eval-like builtins, and name-taking builtins
 * given a subscript or an expansion as a name. Plain commands with `$var` arguments are fine.
 */
function evaluatesDynamically(line: string, commands: readonly SimpleCommand[]): boolean {
  if (DYNAMIC_EVALUATION.test(line)) return true;
  const computed = (name: string | undefined): boolean => name !== undefined && /[[$`]/.test(name);
  return commands.some((c) => {
    switch (c.program) {
      case 'eval':
      case 'source':
      case '.':
      case 'trap':
      case 'let':
      case 'enable':
      case 'hash':
      case 'alias':
        return true;
      case 'shopt':
        return c.args.includes('expand_aliases');
      case 'printf': {
        const index = c.args.indexOf('-v');
        return index >= 0 && computed(c.args[index + 1]);
      }
      case 'read':
      case 'mapfile':
      case 'readarray':
      case 'getopts':
      case 'unset':
        return c.args.some((a) => !a.startsWith('-') && computed(a));
      case 'declare':
      case 'typeset':
      case 'local':
      case 'readonly':
      case 'export':
        return c.args.some((a) => !a.startsWith('-') && (computed(a.replace(/\+?=.*$/s, '')) || a.startsWith('-n')));
      default:
        return false;
    }
  });
}

/** The command bash gives a redirection written after a list or pipeline: the last one. */
function lastCommandOf(node: SyntaxNode): SyntaxNode | null {
  if (node.type === 'command' || DECLARATIONS.has(node.type)) return node;
  if (node.type === 'redirected_statement') {
    const body = node.namedChildren.find((c) => c !== null && !REDIRECTS.has(c.type)) ?? null;
    return body !== null && (body.type === 'command' || DECLARATIONS.has(body.type)) ? body : null;
  }
  if (node.type !== 'list' && node.type !== 'pipeline') return null;
  const named = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
  const last = named[named.length - 1];
  return last === undefined ? null : lastCommandOf(last);
}

/** `declare "$x=1"`, `printf -v "$v"`, `read $name`: a computed name could reach any variable. */
function computedName(program: string, args: readonly Word[]): boolean {
  if (program === 'printf') {
    const index = args.findIndex((a) => a.value === '-v');
    return index >= 0 && args[index + 1] !== undefined && !(args[index + 1] as Word).literal;
  }
  return args.some((a) => !a.literal && !a.value.startsWith('-') && !/^[A-Za-z_]\w*(\[[^\]$`]*\])?\+?=/.test(a.value));
}

/** The files a command writes, as named: redirections, copy targets, files edited in place. */
function writeTargets(program: string, args: readonly Word[], redirs: readonly string[]): string[] {
  const targets: string[] = [];
  for (const r of redirs) {
    const m = /^\d*(?:&>>|>>|&>|>\||>)(.+)$/.exec(r);
    if (m !== null) targets.push((m[1] as string).trim());
  }
  if (COPIERS.has(program)) {
    const values = args.map((a) => a.value);
    const operands = values.filter((v, i) => !v.startsWith('-') && values[i - 1] !== '-t' && values[i - 1] !== '--target-directory');
    const targetOption = values.findIndex((v) => v === '-t' || v === '--target-directory');
    if (targetOption >= 0 && values[targetOption + 1] !== undefined) targets.push(values[targetOption + 1] as string);
    for (const v of values) if (v.startsWith('--target-directory=')) targets.push(v.slice(19));
    if (program === 'dd') targets.push(...values.filter((v) => v.startsWith('of=')).map((v) => v.slice(3)));
    else if (program === 'tee') targets.push(...operands);
    // A link is a second name to write its target by (`ln -s .git/hooks h`, then `cp x h/pre-commit`):
    // the new name first, then what it points to.
    else if (program === 'ln' || program === 'link') targets.push(...operands.slice(-1), ...operands.slice(0, -1));
    else if (operands.length > 1) targets.push(operands[operands.length - 1] as string);
    // Into a directory, a file lands under its own name: `cp /tmp/.bashrc ~`, `cp x.sh /etc/profile.d`.
    const directory = targetOption >= 0 ? values[targetOption + 1] : operands.length > 1 && program !== 'dd' && program !== 'tee' ? operands[operands.length - 1] : undefined;
    if (directory !== undefined && looksLikeDirectory(directory)) {
      const sources = targetOption >= 0 ? operands : operands.slice(0, -1);
      for (const source of sources) targets.push(`${directory.replace(/\/+$/, '')}/${basename(source)}`);
    }
  }
  // Downloads and patches write the file they are given.
  if (program === 'curl' || program === 'wget') targets.push(...optionValues(args.map((a) => a.value), program === 'curl' ? ['-o', '--output'] : ['-O', '--output-document']));
  if (program === 'patch') {
    const operand = args.map((a) => a.value).find((v) => !v.startsWith('-'));
    if (operand !== undefined) targets.push(operand);
  }
  if (program === 'sed' || program === 'perl') {
    // `sed -i ... FILE`: edited in place.
    const values = args.map((a) => a.value);
    if (values.some((v) => /^-[A-Za-z]*i/.test(v) || v.startsWith('--in-place'))) targets.push(...values.filter((v) => !v.startsWith('-')).slice(1));
  }
  return targets;
}

/** Appends a redirection's normalised text to `redirs`; returns true when it feeds stdin. */
function redirect(node: SyntaxNode, redirs: string[], words: Word[]): boolean {
  let fd = '';
  let op = '';
  let target: string | undefined;
  let feedsStdin = false;
  const nested: SyntaxNode[] = [];
  for (const child of node.children) {
    if (child === null) continue;
    if (child.type === 'file_descriptor') fd = child.text;
    else if (REDIRECTS.has(child.type)) nested.push(child);
    else if (!child.isNamed) op ||= child.type;
    else if (child.type === 'heredoc_start') target = child.text.replace(/['"\\]/g, '');
    else if (child.type === 'heredoc_body' || child.type === 'heredoc_end') continue;
    // Words after the first target are the command's arguments (`rm >x a b`).
    else if (target === undefined) target = wordOf(child).value;
    else words.push(wordOf(child));
  }
  if (fd === '' || fd === '0') feedsStdin = node.type !== 'file_redirect' || op.startsWith('<');
  redirs.push(fd + op + (target ?? ''));
  for (const n of nested) feedsStdin = redirect(n, redirs, words) || feedsStdin;
  return feedsStdin;
}

/**
 * The line as bash reads it from the terminal: ended by the newline of the Enter key. Parsed
 * without it, a pipeline of three or more commands (`a | b | c`) leaves tree-sitter a second
 * parse stack that fails at the end of input, and the parser runs a full error recovery on it
 * after accepting the first (about 50 µs, five times the parse). A line ending in a backslash
 * is left alone: there the newline would be a line continuation, not the end of the command.
 */
function terminated(line: string): string {
  return line.endsWith('\\') ? line : `${line}\n`;
}

function readsAny(nodes: readonly SyntaxNode[]): boolean {
  return nodes.some((n) => redirect(n, [], []));
}

function withRedirects(text: string, redirs: readonly string[]): string {
  return redirs.length === 0 ? text : `${text} ${redirs.join(' ')}`;
}

/**
 * A copy's target that names a directory by its form: a trailing slash, `.`, `..`, `~`, or a
 * last name without an extension (`/root`) or ending in `.d` (`/etc/profile.d`); `notes.bak`
 * reads as a file.
 */
function looksLikeDirectory(target: string): boolean {
  if (/\/$/.test(target) || /^(\.|\.\.|~[^/]*|\$HOME|\$\{HOME\})$/.test(target)) return true;
  const last = basename(target);
  // `profile.d`, `cron.d`: the Debian way of naming a directory of snippets.
  return last !== '' && (!/.\.[^.]+$/.test(last) || /\.d$/.test(last));
}

/** The values of these options (`-o FILE`, `-oFILE`, `--output FILE`, `--output=FILE`). */
function optionValues(values: readonly string[], names: readonly [short: string, long: string]): string[] {
  const [short, long] = names;
  const found: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string;
    if ((value === short || value === long) && values[i + 1] !== undefined) found.push(values[++i] as string);
    else if (value.startsWith(`${long}=`)) found.push(value.slice(long.length + 1));
    else if (/^-[A-Za-z]+/.test(value) && !value.startsWith('--') && value.includes(short.slice(1))) {
      // Short options bundled: `-sSo FILE` or `-oFILE`.
      const at = value.indexOf(short.slice(1));
      const rest = value.slice(at + 1);
      if (rest !== '') found.push(rest);
      else if (values[i + 1] !== undefined) found.push(values[++i] as string);
    }
  }
  return found;
}

function basename(path: string): string {
  const trimmed = path.endsWith('/') ? path.replace(/\/+$/, '') : path;
  const slash = trimmed.lastIndexOf('/');
  return slash < 0 ? trimmed : trimmed.slice(slash + 1);
}

function opaque(text: string, reason: string): SimpleCommand {
  return Object.freeze({ program: '', args: Object.freeze([]), text, wrapper: false, opaque: true, opaqueReason: reason, opaqueKind: 'structure' as const });
}

function tampered(text: string, reason: string): SimpleCommand {
  return Object.freeze({ program: '', args: Object.freeze([]), text, wrapper: false, opaque: false, tampering: reason });
}

/** The first ERROR or MISSING node, visiting only subtrees that contain one. */
function firstProblem(root: Node): Node | null {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (node.isMissing || node.isError) return node;
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child !== null && child !== undefined && (child.hasError || child.isMissing)) stack.push(child);
    }
  }
  return null;
}

function describeError(root: Node): string {
  const node = firstProblem(root);
  if (node === null) return 'syntax error';
  if (node.isMissing) return `missing ${JSON.stringify(node.type)} at offset ${node.startIndex}`;
  const near = node.text.length > 20 ? `${node.text.slice(0, 20)}...` : node.text;
  return `syntax error near ${JSON.stringify(near)} at offset ${node.startIndex}`;
}

/**
 * Whether text that fails to parse up to its end opened something a later line closes: a
 * quote, a heredoc, a trailing backslash, or a keyword or brace that needs its partner.
 */
function opensConstruct(text: string): boolean {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === '\\') {
      if (i === text.length - 1 || (i === text.length - 2 && text[i + 1] === '\n')) return true;
      i++;
    } else if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') {
      quote = c;
    }
  }
  if (quote !== null) return true;
  if (/<<-?\s*['"]?\w+/.test(text)) return true;
  return /(^|[\s;&|(])(\{|case|while|until|for|select|if|function|do|then|else)(\s|$)/.test(text) || /(\(|\$\(|\$\{|\[\[)\s*[^)}\]]*$/.test(text);
}

/** Builtins that can declare namerefs or export functions. */
const DECLARERS_OF_FUNCTIONS = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);

/** `declare -n`, `local -n` (a nameref sets another variable under a new name), `export -f`, `declare -fx`. */
function exportsFunctionsOrNamerefs(program: string, args: readonly string[]): boolean {
  const flags = args.filter((a) => /^-[A-Za-z]+$/.test(a)).join('');
  if (flags.includes('n') && program !== 'export') return true;
  return flags.includes('f') && (program === 'export' || flags.includes('x'));
}

/** The variable names a builtin assigns or unsets: read NAME..., printf -v NAME, mapfile NAME, getopts s NAME, unset NAME. */
function namesAssignedBy(program: string, args: readonly string[]): string[] {
  const operands = (valueFlags: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '--') {
        out.push(...args.slice(i + 1));
        break;
      }
      if (a.startsWith('-') && a.length > 1) {
        const last = a[a.length - 1] as string;
        // `read -a NAME` names the array; other value flags take the next word as their value.
        if (program === 'read' && a.includes('a')) {
          if (last === 'a' && args[i + 1] !== undefined) out.push(args[++i] as string);
          continue;
        }
        if (valueFlags.includes(last)) i++;
        continue;
      }
      out.push(a);
    }
    return out;
  };
  switch (program) {
    case 'read':
      return operands('dinNptu');
    case 'printf': {
      const index = args.indexOf('-v');
      return index >= 0 && args[index + 1] !== undefined ? [args[index + 1] as string] : [];
    }
    case 'mapfile':
    case 'readarray':
      return operands('dnOsuCc').slice(-1);
    case 'getopts':
      return operands('').slice(1, 2);
    case 'unset':
      return args.includes('-f') ? [] : operands('');
    default:
      return [];
  }
}

/** Programs whose first operand (or `-e` values) is a program of their own language. */
const PROGRAM_TEXT_TAKERS = new Set(['awk', 'mawk', 'nawk', 'gawk', 'sed']);

/** True when the awk or sed program text holds an expansion: its code is only known when it runs. */
function programTextComputed(program: string, args: readonly Word[]): boolean {
  const valueFlags = program === 'sed' ? 'efl' : 'fvFW';
  let sawScriptOption = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as Word;
    if (a.value === '--') return args[i + 1]?.literal === false && !sawScriptOption;
    if (program === 'sed' && (a.value === '-e' || a.value === '--expression')) {
      sawScriptOption = true;
      if (args[i + 1]?.literal === false) return true;
      i++;
      continue;
    }
    if (a.value.startsWith('-') && a.value.length > 1) {
      if (valueFlags.includes(a.value[a.value.length - 1] as string) && a.value.length === 2) i++;
      continue;
    }
    return !sawScriptOption && !a.literal;
  }
  return false;
}
