import type { SyntaxNode } from './syntaxNode.js';
import { decodeAnsiC } from './words.js';

/**
 * The text bash shows in `$BASH_COMMAND` for each command its DEBUG trap sees, predicted from
 * the syntax tree (bash prints commands back from its own parse: redirections after the
 * words, `>&2` as `1>&2`, command substitutions re-printed, arrays and tests re-spaced).
 * Whitespace is collapsed on both sides (`collapseWhitespace`), so only where words, operators
 * and `;` fall matters. The proxy's executor lets a command run only if its collapsed
 * `$BASH_COMMAND` is one of these texts: a prediction that misses refuses a command, never
 * admits one.
 */
export function debugTrapTexts(root: SyntaxNode): string[] {
  const out: string[] = [];
  collectTexts(root, out, new Map(), 0);
  return out;
}

/**
 * Nesting followed before giving up: deeper commands get no prediction (the executor then
 * refuses them), and the walk stays far from the JS stack limit.
 */
const MAX_DEPTH = 200;
let printDepth = 0;

/** Runs a printer one level deeper; past MAX_DEPTH the source text stands in (a miss, never a false match). */
function deeper(node: SyntaxNode, print: () => string): string {
  if (printDepth >= MAX_DEPTH) return node.text;
  printDepth++;
  try {
    return print();
  } finally {
    printDepth--;
  }
}

/** A tab or newline, two spaces in a row, or whitespace at either end (what trim() removes). */
const NOT_COLLAPSED = /[\t\n]| {2}|^\s|\s$/;

/** Runs of spaces, tabs and newlines become one space; ends are trimmed. */
export function collapseWhitespace(text: string): string {
  // Most texts are already collapsed: the replace would rebuild them for every single space.
  if (!NOT_COLLAPSED.test(text)) return text;
  return text.replace(/[ \t\n]+/g, ' ').trim();
}

const SEPARATORS = new Set([';', '&', '\n', ';;']);

/**
 * Redirections tree-sitter hangs on a whole list or pipeline (`a && b >f`, `a | b >f`), which
 * bash attaches to the last command, plus `|&`'s implied `2>&1`: by node id.
 */
type ExtraRedirects = Map<number, string[]>;

function collectTexts(node: SyntaxNode, out: string[], extra: ExtraRedirects, depth: number): void {
  if (depth > MAX_DEPTH) return;
  switch (node.type) {
    case 'command':
    case 'declaration_command':
    case 'unset_command':
    case 'variable_assignment':
    case 'variable_assignments':
    case 'test_command':
      out.push(collapseWhitespace(printSimple(node, [], extra.get(node.id))));
      break;
    case 'redirected_statement': {
      const { body, redirects } = splitRedirected(node);
      if (body !== null && isSimple(body)) {
        out.push(collapseWhitespace(printSimple(body, redirects, extra.get(body.id))));
        for (const child of body.children) if (child !== null && child.childCount > 0) collectTexts(child, out, extra, depth + 1);
        for (const r of redirects) collectTexts(r, out, extra, depth + 1);
        return;
      }
      if (body !== null && (body.type === 'list' || body.type === 'pipeline')) {
        const last = lastSimple(body);
        if (last !== null) extra.set(last.id, [...(extra.get(last.id) ?? []), ...redirects.map((r) => printRedirect(r))]);
      }
      break;
    }
    case 'pipeline': {
      const children = node.children.filter((c): c is SyntaxNode => c !== null);
      children.forEach((child, i) => {
        if (child.type !== '|&') return;
        const before = children[i - 1];
        const target = before === undefined ? null : isSimple(before) ? before : lastSimple(before);
        if (target !== null) extra.set(target.id, [...(extra.get(target.id) ?? []), '2>&1']);
      });
      break;
    }
    case 'compound_statement':
      if (isArithmeticCommand(node)) out.push(collapseWhitespace(printArithmeticCommand(node)));
      break;
    case 'for_statement':
      out.push(collapseWhitespace(printForHead(node)));
      break;
    case 'c_style_for_statement':
      for (const part of cStyleParts(node)) out.push(collapseWhitespace(`((${part}))`));
      break;
    case 'case_statement':
      out.push(collapseWhitespace(`case ${printWord(fieldOrFirst(node, 'value'))} in`));
      break;
    case 'function_definition':
      // The definition runs nothing; calling the function shows its name first.
      break;
    default:
      break;
  }
  for (const child of node.children) if (child !== null && child.childCount > 0) collectTexts(child, out, extra, depth + 1);
}

/** The command a redirection after a list or pipeline belongs to in bash: its last one. */
function lastSimple(node: SyntaxNode): SyntaxNode | null {
  if (isSimple(node)) return node;
  if (node.type === 'redirected_statement') {
    const { body } = splitRedirected(node);
    return body !== null && isSimple(body) ? body : null;
  }
  if (node.type !== 'list' && node.type !== 'pipeline') return null;
  const named = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
  const last = named[named.length - 1];
  return last === undefined ? null : lastSimple(last);
}

const SIMPLE = new Set(['command', 'declaration_command', 'unset_command', 'variable_assignment', 'variable_assignments', 'test_command']);

function isSimple(node: SyntaxNode): boolean {
  return SIMPLE.has(node.type);
}

function isArithmeticCommand(node: SyntaxNode): boolean {
  return node.firstChild?.type === '((';
}

function splitRedirected(node: SyntaxNode): { body: SyntaxNode | null; redirects: SyntaxNode[] } {
  let body: SyntaxNode | null = null;
  const redirects: SyntaxNode[] = [];
  for (const child of node.children) {
    if (child === null || !child.isNamed) continue;
    if (child.type.endsWith('_redirect')) redirects.push(child);
    else body ??= child;
  }
  return { body, redirects };
}

function fieldOrFirst(node: SyntaxNode, field: string): SyntaxNode | null {
  return node.childForFieldName(field) ?? node.namedChildren.find((c) => c !== null) ?? null;
}

/** A simple command (or assignment, declaration, test) with its redirections last. */
function printSimple(node: SyntaxNode, extraRedirects: readonly SyntaxNode[], extraText: readonly string[] = [], forTrap = true): string {
  const tail = redirectSuffix(extraRedirects) + extraText.map((t) => ` ${t}`).join('');
  if (node.type === 'test_command') return printTest(node) + tail;
  if (node.type === 'variable_assignment') return printAssignment(node) + tail;
  const words: string[] = [];
  const redirects: string[] = [];
  const children = [...node.children, ...extraRedirects].filter((c): c is SyntaxNode => c !== null);
  for (let i = 0; i < children.length; i++) {
    const child = children[i] as SyntaxNode;
    const next = children[i + 1];
    if (child.type.endsWith('_redirect')) redirects.push(printRedirect(child));
    else if (next !== undefined && next.type.endsWith('_redirect') && next.startIndex === child.endIndex && isDescriptorWord(child)) {
      // `0</dev/null`, `{fd}>file`: tree-sitter leaves the descriptor as a word of its own.
      redirects.push(printRedirect(next, child.text));
      i++;
    } else if (child.type === 'variable_assignment') words.push(printAssignment(child));
    else if (child.isNamed) words.push(printWord(child));
    else if (node.type !== 'command') words.push(child.type); // declare, export, local, unset...
  }
  if (forTrap && node.type === 'command' && (words[0] === 'time' || words[0] === '!')) {
    // Reserved words tree-sitter reads as a command name: bash's BASH_COMMAND leaves them out.
    words.shift();
    const next: string | undefined = words[0];
    if (next === '-p') words.shift();
  }
  return [...words, ...redirects, ...extraText].join(' ');
}

function isDescriptorWord(node: SyntaxNode): boolean {
  return /^(\d+|\{[A-Za-z_][A-Za-z0-9_]*\})$/.test(node.text);
}

function redirectSuffix(redirects: readonly SyntaxNode[]): string {
  let text = '';
  for (const r of redirects) text += ` ${printRedirect(r)}`;
  return text;
}

function printAssignment(node: SyntaxNode): string {
  let text = '';
  let afterOperator = false;
  for (const child of node.children) {
    if (child === null) continue;
    if (!afterOperator) {
      text += child.type === 'subscript' ? printWord(child) : child.text;
      afterOperator = child.type === '=' || child.type === '+=';
      continue;
    }
    text += child.type === 'array' ? printArray(child) : printWord(child);
  }
  return text;
}

function printArray(node: SyntaxNode): string {
  const items = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment').map(printWord);
  return `(${items.join(' ')})`;
}

/** `[[ ... ]]` and `[ ... ]`: bash prints the expression back spaced by tokens. */
function printTest(node: SyntaxNode): string {
  const parts: string[] = [];
  const visit = (n: SyntaxNode): void => {
    if (n.childCount === 0 || isWordLike(n)) {
      parts.push(isWordLike(n) ? printWord(n) : n.text);
      return;
    }
    for (const c of n.children) if (c !== null) visit(c);
  };
  for (const c of node.children) if (c !== null) visit(c);
  return parts.join(' ');
}

const WORD_LIKE = new Set([
  'word', 'string', 'raw_string', 'ansi_c_string', 'translated_string', 'concatenation', 'simple_expansion', 'expansion',
  'command_substitution', 'process_substitution', 'arithmetic_expansion', 'number', 'extglob_pattern', 'regex', 'variable_name',
  'test_operator', 'brace_expression',
]);

function isWordLike(n: SyntaxNode): boolean {
  return WORD_LIKE.has(n.type);
}

function printArithmeticCommand(node: SyntaxNode): string {
  const open = node.firstChild;
  const close = node.lastChild;
  if (open === null || close === null) return node.text;
  const inner = node.text.slice(open.endIndex - node.startIndex, close.startIndex - node.startIndex);
  return `((${inner}))`;
}

function printForHead(node: SyntaxNode): string {
  const keyword = node.firstChild?.type === 'select' ? 'select' : 'for';
  const variable = node.childForFieldName('variable');
  const values = node.childrenForFieldName('value').filter((c): c is SyntaxNode => c !== null);
  const list = values.length > 0 ? values.map(printWord).join(' ') : hasInKeyword(node) ? '' : '"$@"';
  return `${keyword} ${variable?.text ?? ''} in ${list}`;
}

function hasInKeyword(node: SyntaxNode): boolean {
  return node.children.some((c) => c !== null && c.type === 'in');
}

function cStyleParts(node: SyntaxNode): string[] {
  // `for ((i=0; i<n; i++))`: bash shows each clause as its own arithmetic command, the
  // condition once per iteration; an empty condition is shown as `((1))`.
  const text = node.text;
  const open = text.indexOf('((');
  const close = text.indexOf('))', open + 2);
  if (open < 0 || close < 0) return [];
  const clauses = splitArithmeticClauses(text.slice(open + 2, close));
  const [init = '', cond = '', update = ''] = clauses.map((c) => c.trim());
  return [init === '' ? '1' : init, cond === '' ? '1' : cond, update === '' ? '1' : update];
}

function splitArithmeticClauses(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ';' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** One redirection as bash prints it. */
function printRedirect(node: SyntaxNode, descriptor = ''): string {
  if (node.type === 'heredoc_redirect') return printHeredoc(node, descriptor);
  let fd = descriptor;
  let op = '';
  const targets: string[] = [];
  for (const child of node.children) {
    if (child === null) continue;
    if (child.type === 'file_descriptor') fd = child.text;
    else if (!child.isNamed) op ||= child.type;
    else targets.push(printWord(child));
  }
  const target = targets.join(' ');
  if (node.type === 'herestring_redirect') return `${fd}<<< ${target}`;
  const numeric = /^\d+$/.test(target) || target === '-';
  switch (op) {
    case '>&':
    case '<&':
      if (numeric) return `${fd || (op === '>&' ? '1' : '0')}${op}${target}`;
      return `${fd}${op}${target}`;
    case '>&-':
    case '<&-':
      return `${fd || (op === '>&-' ? '1' : '0')}${op}`;
    case '<':
      return `${fd === '0' ? '' : fd}< ${target}`;
    default:
      return `${fd}${op} ${target}`;
  }
}

function printHeredoc(node: SyntaxNode, descriptor: string): string {
  let op = '<<';
  let fd = descriptor;
  let start = '';
  let body = '';
  let end = '';
  const nested: string[] = [];
  for (const child of node.children) {
    if (child === null) continue;
    if (child.type === 'file_descriptor') fd = child.text;
    else if (child.type === '<<' || child.type === '<<-') op = child.type;
    else if (child.type === 'heredoc_start') start = child.text;
    else if (child.type === 'heredoc_body') body = child.text;
    else if (child.type === 'heredoc_end') end = child.text;
    else if (child.type.endsWith('_redirect')) nested.push(printRedirect(child));
  }
  if (op === '<<-') body = body.replace(/^\t+/gm, '');
  const after = nested.length > 0 ? ` ${nested.join(' ')}` : '';
  return `${fd}${op}${start}${after}\n${body}${end}\n`;
}

/**
 * A word as bash keeps it: its source text, except that line continuations are gone and
 * `$(...)` / `<(...)` bodies are printed back from the parse.
 */
export function printWord(node: SyntaxNode | null): string {
  if (node === null) return '';
  if (printDepth >= MAX_DEPTH) return node.text;
  printDepth++;
  try {
    return printWordAt(node);
  } finally {
    printDepth--;
  }
}

function printWordAt(node: SyntaxNode): string {
  switch (node.type) {
    case 'raw_string':
      return node.text;
    case 'ansi_c_string':
      // bash decodes $'...' when it parses and prints the result single-quoted.
      return `'${decodeAnsiC(node.text.slice(2, -1)).replace(/'/g, "'\\''")}'`;
    case 'translated_string':
      return node.text.startsWith('$') ? printWord(node.lastChild) : node.text;
    case 'command_substitution': {
      if (node.firstChild?.type === '`') return node.text;
      // `$(< file)`: only a redirection inside.
      const onlyRedirect = node.namedChildren.length === 1 && node.namedChildren[0]?.type === 'file_redirect';
      return `$(${onlyRedirect ? printRedirect(node.namedChildren[0] as SyntaxNode) : printBody(node)})`;
    }
    case 'process_substitution':
      return `${node.firstChild?.type ?? '<('}${printBody(node)})`;
    default:
      break;
  }
  if (!hasSubstitution(node)) return removeContinuations(node.text);
  let text = '';
  let pos = node.startIndex;
  const source = node.text;
  const base = node.startIndex;
  for (const child of node.children) {
    if (child === null) continue;
    if (child.startIndex > pos) text += removeContinuations(source.slice(pos - base, child.startIndex - base));
    text += printWord(child);
    pos = child.endIndex;
  }
  if (pos < node.endIndex) text += removeContinuations(source.slice(pos - base));
  return text;
}

function hasSubstitution(node: SyntaxNode): boolean {
  if (node.type === 'command_substitution' || node.type === 'process_substitution') return true;
  for (const child of node.children) if (child !== null && child.childCount > 0 && hasSubstitution(child)) return true;
  return false;
}

function removeContinuations(text: string): string {
  return text.includes('\\\n') ? text.replace(/\\\n/g, '') : text;
}

/** The statements inside `$( )`, `<( )`, `( )`, `{ }`: printed as a command list. */
function printBody(node: SyntaxNode): string {
  const statements: SyntaxNode[] = [];
  const separators: string[] = [];
  for (const child of node.children) {
    if (child === null) continue;
    if (child.isNamed) {
      if (child.type === 'comment' || child.type.endsWith('_redirect')) continue;
      statements.push(child);
      separators.push('\n');
    } else if (SEPARATORS.has(child.type) && statements.length > 0) {
      separators[separators.length - 1] = child.type;
    }
  }
  return printSequence(statements, separators);
}

function printSequence(statements: readonly SyntaxNode[], separators: readonly string[]): string {
  let text = '';
  statements.forEach((statement, i) => {
    text += printStatement(statement);
    const sep = separators[i] ?? '\n';
    const last = i === statements.length - 1;
    if (sep === '&') text += last ? ' &' : ' & ';
    else if (!last) text += sep === ';' ? '; ' : '\n';
  });
  return text;
}

/** Any statement, printed back as bash would inside a command substitution. */
export function printStatement(node: SyntaxNode): string {
  return deeper(node, () => printStatementAt(node));
}

function printStatementAt(node: SyntaxNode): string {
  switch (node.type) {
    case 'command':
    case 'declaration_command':
    case 'unset_command':
    case 'variable_assignment':
    case 'variable_assignments':
    case 'test_command':
      return printSimple(node, [], [], false);
    case 'redirected_statement': {
      const { body, redirects } = splitRedirected(node);
      if (body === null) return node.text;
      if (isSimple(body)) return printSimple(body, redirects, [], false);
      return printStatement(body) + redirectSuffix(redirects);
    }
    case 'list': {
      const parts: string[] = [];
      for (const child of node.children) {
        if (child === null) continue;
        parts.push(child.isNamed ? printStatement(child) : child.type);
      }
      return parts.join(' ');
    }
    case 'pipeline': {
      const parts: string[] = [];
      for (const child of node.children) {
        if (child === null) continue;
        if (child.isNamed) parts.push(printStatement(child));
        else if (child.type === '|&') parts[parts.length - 1] += ' 2>&1 |';
        else parts.push(child.type);
      }
      return parts.join(' ').replace(/ \| \|/g, ' |');
    }
    case 'negated_command':
      return `! ${printStatement(lastNamed(node))}`;
    case 'subshell':
      return `( ${printBody(node)} )`;
    case 'compound_statement':
      if (isArithmeticCommand(node)) return printArithmeticCommand(node);
      return `{ ${terminated(printBody(node))} }`;
    case 'if_statement':
      return printIf(node);
    case 'while_statement': {
      const keyword = node.firstChild?.type ?? 'while';
      const condition = node.childForFieldName('condition');
      const body = node.childForFieldName('body');
      return `${keyword} ${terminated(printConditionList(node, condition))} do ${terminated(body ? printBody(body) : '')} done`;
    }
    case 'for_statement': {
      const body = node.childForFieldName('body');
      return `${printForHead(node)}; do ${terminated(body ? printBody(body) : '')} done`;
    }
    case 'c_style_for_statement': {
      const body = node.childForFieldName('body');
      const [a, b, c] = cStyleParts(node);
      return `for ((${a}; ${b}; ${c})) do ${terminated(body ? printBody(body) : '')} done`;
    }
    case 'case_statement':
      return printCase(node);
    case 'function_definition': {
      const name = node.childForFieldName('name');
      const body = node.childForFieldName('body');
      const inner = body && body.type === 'compound_statement' ? printBody(body) : body ? printStatement(body) : '';
      return `function ${name?.text ?? ''} () { ${inner} }`;
    }
    case 'comment':
      return '';
    default:
      return printWord(node);
  }
}

function lastNamed(node: SyntaxNode): SyntaxNode {
  const named = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
  return named[named.length - 1] ?? node;
}

function terminated(text: string): string {
  const trimmed = text.trimEnd();
  if (trimmed === '' || trimmed.endsWith('&')) return trimmed;
  return `${trimmed};`;
}

/** The statements between a keyword and the next (`if A; B; then`): all but the clauses. */
function printConditionList(node: SyntaxNode, first: SyntaxNode | null): string {
  if (first === null) return '';
  const statements: SyntaxNode[] = [];
  const separators: string[] = [];
  let started = false;
  for (const child of node.children) {
    if (child === null) continue;
    if (child.id === first.id) started = true;
    if (!started) continue;
    if (child.type === 'do_group' || child.type === 'then' || child.type === 'do') break;
    if (child.isNamed) {
      if (child.type === 'comment') continue;
      statements.push(child);
      separators.push('\n');
    } else if (SEPARATORS.has(child.type) && statements.length > 0) {
      separators[separators.length - 1] = child.type;
    }
  }
  return printSequence(statements, separators);
}

function printIf(node: SyntaxNode): string {
  // if_statement children: if, condition statements..., then, body statements..., elif/else clauses, fi
  let text = '';
  let mode: 'cond' | 'body' = 'cond';
  let statements: SyntaxNode[] = [];
  let separators: string[] = [];
  const flush = (): string => {
    const printed = printSequence(statements, separators);
    statements = [];
    separators = [];
    return terminated(printed);
  };
  for (const child of node.children) {
    if (child === null) continue;
    if (child.type === 'if') {
      text += 'if ';
      mode = 'cond';
    } else if (child.type === 'then') {
      text += `${flush()} then `;
      mode = 'body';
    } else if (child.type === 'elif_clause' || child.type === 'else_clause') {
      if (mode === 'body' && statements.length > 0) text += `${flush()} `;
      text += `${printClause(child)} `;
    } else if (child.type === 'fi') {
      if (statements.length > 0) text += `${flush()} `;
      text += 'fi';
    } else if (child.isNamed) {
      if (child.type === 'comment') continue;
      statements.push(child);
      separators.push('\n');
    } else if (SEPARATORS.has(child.type) && statements.length > 0) {
      separators[separators.length - 1] = child.type;
    }
  }
  return text;
}

function printClause(node: SyntaxNode): string {
  let text = '';
  let statements: SyntaxNode[] = [];
  let separators: string[] = [];
  const flush = (): string => {
    const printed = printSequence(statements, separators);
    statements = [];
    separators = [];
    return terminated(printed);
  };
  for (const child of node.children) {
    if (child === null) continue;
    if (child.type === 'elif') text += 'elif ';
    else if (child.type === 'else') text += 'else ';
    else if (child.type === 'then') text += `${flush()} then `;
    else if (child.isNamed) {
      if (child.type === 'comment') continue;
      statements.push(child);
      separators.push('\n');
    } else if (SEPARATORS.has(child.type) && statements.length > 0) {
      separators[separators.length - 1] = child.type;
    }
  }
  if (statements.length > 0) text += flush();
  return text.trimEnd();
}

function printCase(node: SyntaxNode): string {
  let text = `case ${printWord(node.childForFieldName('value'))} in `;
  for (const item of node.children) {
    if (item === null || item.type !== 'case_item') continue;
    const patterns: string[] = [];
    const statements: SyntaxNode[] = [];
    const separators: string[] = [];
    let terminator = ';;';
    let inBody = false;
    for (const child of item.children) {
      if (child === null) continue;
      if (!inBody) {
        if (child.type === ')') inBody = true;
        else if (child.isNamed) patterns.push(printWord(child));
        continue;
      }
      if (child.type === ';;' || child.type === ';&' || child.type === ';;&') terminator = child.type;
      else if (child.isNamed) {
        if (child.type === 'comment') continue;
        statements.push(child);
        separators.push('\n');
      } else if ((child.type === ';' || child.type === '&') && statements.length > 0) {
        separators[separators.length - 1] = child.type;
      }
    }
    const body = printSequence(statements, separators);
    text += `${patterns.join(' | ')}) ${body} ${terminator} `;
  }
  return `${text}esac`;
}
