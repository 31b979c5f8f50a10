import type { SyntaxNode } from './syntaxNode.js';

/** One shell word after quote and escape removal. */
export interface Word {
  /** The unquoted value; expansions (`$X`, `$(cmd)`) are kept as their source text. */
  readonly value: string;
  /**
   * True when the value is exactly what the shell would pass: no expansion, no globbing,
   * no brace expansion. Only such a word may name a program; anything else is opaque.
   */
  readonly literal: boolean;
}

interface Acc {
  value: string;
  /** The unquoted, unescaped characters, others replaced by `_`: where globs and braces act. */
  skeleton: string;
  expanded: boolean;
}

/** Value of a word-like node (word, string, raw_string, concatenation, command_name, ...). */
export function wordOf(node: SyntaxNode): Word {
  const acc: Acc = { value: '', skeleton: '', expanded: false };
  append(node, acc);
  return { value: acc.value, literal: !acc.expanded && !isPattern(acc.skeleton) };
}

/** `NAME=value` of a variable_assignment node, with the value unquoted. */
export function assignmentOf(node: SyntaxNode): Word {
  let value = '';
  let literal = true;
  let afterOperator = false;
  for (const child of node.children) {
    if (child === null) continue;
    if (afterOperator) {
      const w = wordOf(child);
      value += w.value;
      literal &&= w.literal;
    } else {
      value += child.text;
      afterOperator = child.type === '=' || child.type === '+=';
    }
  }
  return { value, literal };
}

function isPattern(skeleton: string): boolean {
  if (/[*?[]/.test(skeleton)) return true;
  // Brace expansion needs an unquoted `{`, then a `,` or `..`, then `}`.
  return /\{[^{}]*(,|\.\.)[^{}]*\}/.test(skeleton);
}

function append(node: SyntaxNode, acc: Acc): void {
  switch (node.type) {
    case 'word':
    case 'extglob_pattern':
      appendUnquotedWord(node.text, acc);
      return;
    case 'raw_string': {
      const inner = node.text.slice(1, -1);
      acc.value += inner;
      acc.skeleton += '_'.repeat(inner.length);
      return;
    }
    case 'ansi_c_string': {
      const decoded = decodeAnsiC(node.text.slice(2, -1));
      acc.value += decoded;
      acc.skeleton += '_'.repeat(decoded.length);
      return;
    }
    case 'string':
    case 'translated_string':
      appendDoubleQuoted(node, acc);
      return;
    case 'concatenation':
    case 'command_name':
      appendChildren(node, acc);
      return;
    case 'number':
    case 'variable_name':
    case 'file_descriptor':
    case 'heredoc_start':
    case 'test_operator':
      acc.value += node.text;
      acc.skeleton += node.text;
      return;
    default:
      // Expansions ($X, ${X}, $(cmd), <(cmd), $((1)), {1..3}) and anything unforeseen:
      // keep the source text, and never trust it as a program name.
      acc.value += node.text;
      acc.skeleton += '_'.repeat(node.text.length);
      acc.expanded = true;
  }
}

/**
 * Walks a node's children, also keeping source text tree-sitter leaves between them
 * (it does not always cover every character of a concatenation or string).
 */
function appendChildren(node: SyntaxNode, acc: Acc): void {
  const source = node.text;
  const base = node.startIndex;
  let pos = base;
  for (const child of node.children) {
    if (child === null) continue;
    if (child.startIndex > pos) appendUnquotedWord(source.slice(pos - base, child.startIndex - base), acc);
    append(child, acc);
    pos = child.endIndex;
  }
  if (pos < node.endIndex) appendUnquotedWord(source.slice(pos - base), acc);
}

function appendUnquotedWord(raw: string, acc: Acc): void {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\' && i + 1 < raw.length) {
      const next = raw[++i] as string;
      if (next === '\n') continue; // line continuation
      acc.value += next;
      acc.skeleton += '_';
    } else {
      acc.value += c;
      acc.skeleton += c;
    }
  }
}

function appendDoubleQuoted(node: SyntaxNode, acc: Acc): void {
  const first = node.firstChild;
  const last = node.lastChild;
  // Skip the opening and closing quote tokens.
  const from = first !== null && first.type === '"' ? first.endIndex : node.startIndex;
  const to = last !== null && last.type === '"' && last.id !== first?.id ? last.startIndex : node.endIndex;
  const inner: Acc = { value: '', skeleton: '', expanded: false };
  const source = node.text;
  const base = node.startIndex;
  let pos = from;
  const plain = (text: string): void => {
    const v = unescapeDoubleQuoted(text);
    inner.value += v;
    inner.skeleton += '_'.repeat(v.length);
  };
  for (const child of node.children) {
    if (child === null || child.endIndex <= from || child.startIndex >= to) continue;
    if (child.startIndex > pos) plain(source.slice(pos - base, child.startIndex - base));
    if (child.type === 'string_content') plain(child.text);
    else if (child.type === '$' || child.type === '"') plain(child.text);
    else {
      inner.value += child.text;
      inner.skeleton += '_'.repeat(child.text.length);
      inner.expanded = true;
    }
    pos = child.endIndex;
  }
  if (pos < to) plain(source.slice(pos - base, to - base));
  acc.value += inner.value;
  acc.skeleton += inner.skeleton;
  acc.expanded ||= inner.expanded;
}

// Inside double quotes a backslash only escapes these characters; elsewhere it stays.
function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

const ANSI_SIMPLE: Record<string, string> = {
  a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  '\\': '\\', "'": "'", '"': '"', '?': '?',
};

/** Decodes the body of `$'...'`, so `$'\x72m'` is seen as `rm`. */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const n = body[++i] as string;
    const simple = ANSI_SIMPLE[n];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const hexLen = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const m = /^[0-9a-fA-F]+/.exec(body.slice(i + 1, i + 1 + hexLen));
      if (m !== null) {
        const cp = Number.parseInt(m[0], 16);
        out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
        i += m[0].length;
        continue;
      }
      out += '\\' + n;
      continue;
    }
    if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i)) as RegExpExecArray;
      out += String.fromCharCode(Number.parseInt(m[0], 8) & 0xff);
      i += m[0].length - 1;
      continue;
    }
    if (n === 'c' && i + 1 < body.length) {
      out += String.fromCharCode((body.charCodeAt(++i) & 0x1f));
      continue;
    }
    out += '\\' + n;
  }
  return out;
}
