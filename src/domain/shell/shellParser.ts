import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';
import type { Node } from 'web-tree-sitter';
import { LruCache } from './lruCache.js';
import type { ParsedLine, SimpleCommand } from './simpleCommand.js';
import { SHELLS, unwrap } from './wrappers.js';
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
  /** Arguments are appended from stdin (`xargs`): a shell's script name is unseen. */
  readonly argsFromStdin: boolean;
}

const TOP: Context = { depth: 0, nesting: 0, stdinFed: false, argsFromStdin: false };

const DECLARATIONS = new Set(['declaration_command', 'unset_command']);
const REDIRECTS = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);

let initialised: Promise<void> | undefined;

/**
 * Turns a bash command line into the simple commands it would run (DESIGN.md, "Shell
 * normalisation"), walking tree-sitter-bash's syntax tree.
 */
export class ShellParser {
  private readonly cache = new LruCache<string, ParsedLine>(CACHE_ENTRIES);

  private constructor(private readonly parser: Parser) {}

  static async load(): Promise<ShellParser> {
    initialised ??= Parser.init();
    await initialised;
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
    const language = await Language.load(await readFile(wasm));
    const parser = new Parser();
    parser.setLanguage(language);
    return new ShellParser(parser);
  }

  parse(line: string): ParsedLine {
    const cached = this.cache.get(line);
    if (cached !== undefined) return cached;
    const commands: SimpleCommand[] = [];
    const parseError = this.walkLine(line, TOP, commands);
    const result: ParsedLine = Object.freeze({
      line,
      commands: Object.freeze(commands),
      opaque: commands.some((c) => c.opaque),
      ...(parseError === undefined ? {} : { parseError }),
    });
    if (line.length <= MAX_CACHED_LINE) this.cache.set(line, result);
    return result;
  }

  /** Appends the commands of `line` to `out`; on a syntax error, one opaque command and the error. */
  private walkLine(line: string, ctx: Context, out: SimpleCommand[]): string | undefined {
    const error = (message: string): string => {
      out.push(opaque(line.trim()));
      return message;
    };
    if (line.length > MAX_LINE) return error(`line longer than ${MAX_LINE} characters`);
    // tree-sitter reads NUL as end of input, which would hide whatever follows it.
    const nul = line.indexOf('\0');
    if (nul >= 0) return error(`NUL character at offset ${nul}`);
    const tree = this.parser.parse(line);
    if (tree === null) return error('the parser gave no result');
    try {
      if (tree.rootNode.hasError) return error(describeError(tree.rootNode));
      this.walk(tree.rootNode, ctx, out);
      return undefined;
    } finally {
      tree.delete();
    }
  }

  private walk(node: Node, ctx: Context, out: SimpleCommand[]): void {
    if (ctx.nesting > MAX_NESTING) {
      out.push(opaque(node.text.trim()));
      return;
    }
    const inner: Context = { ...ctx, nesting: ctx.nesting + 1 };
    switch (node.type) {
      case 'comment':
        return;
      case 'command':
        this.command(node, [], inner, out);
        return;
      case 'redirected_statement':
        this.redirected(node, inner, out);
        return;
      case 'pipeline': {
        let index = 0;
        for (const child of node.children) {
          if (child === null || !child.isNamed) continue;
          this.walk(child, index++ > 0 ? { ...inner, stdinFed: true } : inner, out);
        }
        return;
      }
      case 'list': {
        // `a && b && c ...` nests to the left: flatten it so long chains cost no nesting.
        const pending: Node[] = [node];
        const items: Node[] = [];
        while (pending.length > 0) {
          const n = pending.pop() as Node;
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
        for (const item of items) this.walk(item, inner, out);
        return;
      }
      default:
        if (DECLARATIONS.has(node.type)) {
          this.declaration(node, [], inner, out);
          return;
        }
        // Lists, subshells, groups, loops, if/case, functions, substitutions, words...:
        // whatever commands they hold, in source order.
        this.walkChildren(node, inner, out);
    }
  }

  /** Walks the named children that can hold a command (leaves never do). */
  private walkChildren(node: Node, ctx: Context, out: SimpleCommand[]): void {
    for (const child of node.children) {
      if (child !== null && child.isNamed && child.childCount > 0) this.walk(child, ctx, out);
    }
  }

  private redirected(node: Node, ctx: Context, out: SimpleCommand[]): void {
    let body: Node | null = null;
    const redirects: Node[] = [];
    // Children are told apart by type: web-tree-sitter's field lookups cost O(index) each.
    for (const child of node.children) {
      if (child === null || !child.isNamed) continue;
      if (REDIRECTS.has(child.type)) redirects.push(child);
      else body ??= child;
    }
    const bodyCtx = redirects.some(readsStdin) ? { ...ctx, stdinFed: true } : ctx;
    if (body?.type === 'command') {
      this.command(body, redirects, bodyCtx, out);
    } else if (body !== null && DECLARATIONS.has(body.type)) {
      this.declaration(body, redirects, bodyCtx, out);
    } else {
      if (body !== null) this.walk(body, bodyCtx, out);
      for (const r of redirects) this.walk(r, ctx, out);
    }
  }

  private command(node: Node, extraRedirects: readonly Node[], ctx: Context, out: SimpleCommand[]): void {
    const words: Word[] = [];
    const redirs: string[] = [];
    let stdin = false;
    let named = false;
    let lastArgEnd = -1;
    let dollar: Node | null = null;
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
    for (const child of [...node.children, ...extraRedirects]) {
      if (child === null) continue;
      // Substitutions anywhere in the command run before it.
      if (child.isNamed && child.childCount > 0) this.walk(child, ctx, out);
      if (child.type === 'command_name') {
        named = true;
        words.push(wordOf(child));
      } else if (REDIRECTS.has(child.type)) {
        stdin = redirect(child, redirs, words) || stdin;
      } else if (!named) {
        // Assignment prefixes (`FOO=1 rm`) only change the environment.
        continue;
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
    if (!named) return;
    this.emit(words, redirs, stdin ? { ...ctx, stdinFed: true } : ctx, out);
  }

  private declaration(node: Node, extraRedirects: readonly Node[], ctx: Context, out: SimpleCommand[]): void {
    const words: Word[] = [];
    const redirs: string[] = [];
    for (const child of node.children) {
      if (child === null) continue;
      if (child.isNamed && child.childCount > 0) this.walk(child, ctx, out);
      if (words.length === 0 && !child.isNamed) words.push({ value: child.type, literal: true });
      else if (child.type === 'variable_assignment') words.push(assignmentOf(child));
      else if (REDIRECTS.has(child.type)) redirect(child, redirs, words);
      else if (child.isNamed) words.push(wordOf(child));
    }
    for (const r of extraRedirects) {
      this.walk(r, ctx, out);
      redirect(r, redirs, words);
    }
    this.emit(words, redirs, ctx, out);
  }

  /** Turns an argument vector into commands: the command itself, then what it wraps. */
  private emit(words: readonly Word[], redirs: readonly string[], ctx: Context, out: SimpleCommand[]): void {
    const head = words[0];
    if (head === undefined) return;
    const args = words.slice(1);
    const text = withRedirects([head.value, ...args.map((a) => a.value)].join(' '), redirs);
    const program = basename(head.value);
    if (!head.literal || program === '' || ctx.depth > MAX_DEPTH) {
      out.push(opaque(text));
      return;
    }
    const plain = (wrapper: boolean): SimpleCommand =>
      Object.freeze({
        program,
        args: Object.freeze(args.map((a) => a.value)),
        text: withRedirects([program, ...args.map((a) => a.value)].join(' '), redirs),
        wrapper,
        opaque: false,
      });
    const how = unwrap(program, args);
    if (how === undefined || how.kind === 'none') {
      out.push(plain(false));
      return;
    }
    const deeper: Context = { ...ctx, depth: ctx.depth + 1 };
    switch (how.kind) {
      case 'shellStdin':
        out.push(ctx.stdinFed || (ctx.argsFromStdin && SHELLS.has(program)) ? opaque(text) : plain(false));
        return;
      case 'unseen':
        out.push(opaque(text));
        return;
      case 'exec':
        out.push(plain(true));
        for (const argv of how.argvs) {
          this.emit(argv, redirs, { ...deeper, argsFromStdin: ctx.argsFromStdin || how.appendsArgs === true }, out);
        }
        return;
      case 'line':
        out.push(plain(true));
        for (const line of how.lines) {
          if (deeper.depth > MAX_DEPTH) out.push(opaque(line.trim()));
          else this.walkLine(line, { ...deeper, argsFromStdin: false }, out);
        }
        return;
    }
  }
}

/** Appends a redirection's normalised text to `redirs`; returns true when it feeds stdin. */
function redirect(node: Node, redirs: string[], words: Word[]): boolean {
  let fd = '';
  let op = '';
  let target: string | undefined;
  let feedsStdin = false;
  const nested: Node[] = [];
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

function readsStdin(node: Node): boolean {
  return redirect(node, [], []);
}

function withRedirects(text: string, redirs: readonly string[]): string {
  return redirs.length === 0 ? text : `${text} ${redirs.join(' ')}`;
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash < 0 ? trimmed : trimmed.slice(slash + 1);
}

function opaque(text: string): SimpleCommand {
  return Object.freeze({ program: '', args: Object.freeze([]), text, wrapper: false, opaque: true });
}

/** Names the first ERROR or MISSING node, visiting only subtrees that contain one. */
function describeError(root: Node): string {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (node.isMissing) return `missing ${JSON.stringify(node.type)} at offset ${node.startIndex}`;
    if (node.isError) {
      const near = node.text.length > 20 ? `${node.text.slice(0, 20)}...` : node.text;
      return `syntax error near ${JSON.stringify(near)} at offset ${node.startIndex}`;
    }
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child !== null && child !== undefined && (child.hasError || child.isMissing)) stack.push(child);
    }
  }
  return 'syntax error';
}
