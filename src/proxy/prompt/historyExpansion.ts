/**
 * Bash's history expansion, done by changeguard on its own history (the lines submitted in
 * this session), so `sudo !!` or `^tyop^typo` work and the line judged is the expanded one,
 * shown to the user before it runs, as bash does. The device's shell never expands history.
 *
 * Supported: `!!`, `!n`, `!-n`, `!prefix`, `!?text?`, word designators (`:0`, `:n`, `:^`, `:$`,
 * `:*`, `:n-m`, `:n*`, `:n-`, also without an event: `!:1-2` is `!!:1-2`), the modifiers
 * `:s/old/new/`, `:gs/old/new/`, `:&`, `:h`, `:t`, `:r`, `:e`, `:q`, the shorthands `!$`, `!^`,
 * `!*`, and `^old^new^` at the start of a line. `:p` (print, do not run) and `:x` are refused
 * with a message rather than guessed. Not inside single quotes, not after a backslash, and not for `!` followed by a
 * blank, `=`, `(` or the end of the line (bash's rules).
 */
export type Expansion = { readonly ok: true; readonly line: string; readonly expanded: boolean } | { readonly ok: false; readonly error: string };

export function expandHistory(line: string, history: readonly string[]): Expansion {
  const quick = /^\^([^^]*)\^([^^]*)\^?$/.exec(line);
  if (quick !== null) {
    const previous = history.at(-1);
    if (previous === undefined) return { ok: false, error: `${line}: event not found` };
    const [, from = '', to = ''] = quick;
    if (from === '' || !previous.includes(from)) return { ok: false, error: `${line}: substitution failed` };
    return { ok: true, line: previous.replace(from, to), expanded: true };
  }
  let out = '';
  let expanded = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '\\' && i + 1 < line.length) {
      out += c + line[++i];
      continue;
    }
    if (quote === "'") {
      if (c === "'") quote = null;
      out += c;
      continue;
    }
    if (c === "'" && quote === null) {
      quote = "'";
      out += c;
      continue;
    }
    if (c === '"') quote = quote === '"' ? null : '"';
    const next = line[i + 1];
    // `${!name}` is indirect expansion, never history (bash skips `!` right after `${`).
    const indirect = line[i - 1] === '{' && line[i - 2] === '$';
    if (c !== '!' || next === undefined || indirect || /[\s=(]/.test(next) || (quote === '"' && next === '"')) {
      out += c;
      continue;
    }
    const parsed = parseDesignator(line, i + 1, history);
    if (!parsed.ok) return parsed;
    out += parsed.text;
    i = parsed.end - 1;
    expanded = true;
  }
  return { ok: true, line: out, expanded };
}

type Designated = { ok: true; text: string; end: number } | { ok: false; error: string };

function parseDesignator(line: string, start: number, history: readonly string[]): Designated {
  let i = start;
  let event: string | undefined;
  const missing = (what: string): Designated => ({ ok: false, error: `${what}: event not found` });
  const c = line[i] as string;
  let defaultWords: ((words: string[]) => string) | undefined;
  if (c === '!' || c === ':') {
    // `!!`, and `!:` where a word designator follows with no event: the previous line.
    event = history.at(-1);
    if (c === '!') i++;
    if (event === undefined) return missing(c === '!' ? '!!' : '!:');
  } else if (c === '$' || c === '^' || c === '*') {
    // `!$` is `!!:$`: the shorthand word designators name words of the previous line.
    event = history.at(-1);
    if (event === undefined) return missing(`!${c}`);
    i++;
    defaultWords = c === '$' ? (w) => w.at(-1) ?? '' : c === '^' ? (w) => w[1] ?? '' : (w) => w.slice(1).join(' ');
  } else if (/[0-9-]/.test(c)) {
    const m = /^-?\d+/.exec(line.slice(i));
    if (m === null) return missing(`!${c}`);
    const n = Number(m[0]);
    event = n < 0 ? history.at(n) : history[n - 1];
    i += m[0].length;
    if (event === undefined) return missing(`!${m[0]}`);
  } else if (c === '?') {
    const end = line.indexOf('?', i + 1);
    const text = line.slice(i + 1, end < 0 ? line.length : end);
    event = [...history].reverse().find((h) => h.includes(text));
    i = end < 0 ? line.length : end + 1;
    if (event === undefined) return missing(`!?${text}`);
  } else {
    const m = /^[^\s:;&|<>()'"`$]+/.exec(line.slice(i));
    if (m === null) return missing(`!${c}`);
    event = [...history].reverse().find((h) => h.startsWith(m[0]));
    i += m[0].length;
    if (event === undefined) return missing(`!${m[0]}`);
  }
  const selected = selectWords(line, i, event, defaultWords);
  if (!selected.ok) return selected;
  return applyModifiers(line, selected.end, selected.text);
}

/** The modifiers after an event and its words: each `:s/old/new/`, `:gs`, `:&`, `:h`, `:t`, `:r`, `:e`, `:q`. */
function applyModifiers(line: string, start: number, text: string): Designated {
  let i = start;
  let result = text;
  let lastSubstitution: { from: string; to: string } | undefined;
  while (line[i] === ':') {
    const m = /^:(g|a)?(s|&|h|t|r|e|q|p|x)/.exec(line.slice(i));
    if (m === null) return { ok: true, text: result, end: i };
    const global = m[1] !== undefined;
    const modifier = m[2] as string;
    i += m[0].length;
    if (modifier === 'p' || modifier === 'x') return { ok: false, error: `:${modifier}: this history modifier is not supported by changeguard; type the command` };
    if (modifier === 's' || modifier === '&') {
      let from: string;
      let to: string;
      if (modifier === 's') {
        const delimiter = line[i];
        if (delimiter === undefined) return { ok: false, error: ':s: missing delimiter' };
        const parts: string[] = [];
        let j = i + 1;
        let current = '';
        while (j < line.length && parts.length < 2) {
          const ch = line[j] as string;
          if (ch === '\\' && line[j + 1] === delimiter) {
            current += delimiter;
            j += 2;
            continue;
          }
          if (ch === delimiter) {
            parts.push(current);
            current = '';
            j++;
            continue;
          }
          current += ch;
          j++;
        }
        if (parts.length < 2) parts.push(current);
        [from = '', to = ''] = parts;
        i = j;
      } else {
        if (lastSubstitution === undefined) return { ok: false, error: ':&: no previous substitution' };
        ({ from, to } = lastSubstitution);
      }
      lastSubstitution = { from, to };
      if (from === '' || !result.includes(from)) return { ok: false, error: `:s${from}: substitution failed` };
      const replacement = to.replace(/&/g, from);
      result = global ? result.split(from).join(replacement) : result.replace(from, () => replacement);
      continue;
    }
    if (modifier === 'h') result = result.includes('/') ? result.slice(0, result.lastIndexOf('/')) : result;
    else if (modifier === 't') result = result.slice(result.lastIndexOf('/') + 1);
    else if (modifier === 'r') result = /\.[^./]*$/.test(result) ? result.replace(/\.[^./]*$/, '') : result;
    else if (modifier === 'e') result = /\.[^./]*$/.exec(result)?.[0] ?? '';
    else if (modifier === 'q') result = `'${result.replace(/'/g, "'\\''")}'`;
  }
  return { ok: true, text: result, end: i };
}

/** The words of `event` a designator after `start` names (the whole line when there is none). */
function selectWords(line: string, start: number, event: string, defaultWords: ((words: string[]) => string) | undefined): Designated {
  let i = start;
  const words = shellWords(event);
  if (defaultWords !== undefined) return { ok: true, text: defaultWords(words), end: i };
  if (line[i] !== ':') return { ok: true, text: event, end: i };
  const m = /^:(\^|\$|\*|\d+(?:-\d*|\*)?|-\d+)/.exec(line.slice(i));
  if (m === null) return { ok: true, text: event, end: i };
  const spec = m[1] as string;
  i += m[0].length;
  const last = words.length - 1;
  const range = (from: number, to: number): Designated =>
    from > last || to > last || from > to ? { ok: false, error: `${spec}: bad word specifier` } : { ok: true, text: words.slice(from, to + 1).join(' '), end: i };
  if (spec === '^') return range(1, 1);
  if (spec === '$') return range(last, last);
  if (spec === '*') return last < 1 ? { ok: true, text: '', end: i } : range(1, last);
  if (spec.startsWith('-')) return range(0, Number(spec.slice(1)));
  if (spec.endsWith('*')) return range(Number(spec.slice(0, -1)), last);
  if (spec.endsWith('-')) return range(Number(spec.slice(0, -1)), last - 1);
  const dash = spec.indexOf('-');
  if (dash > 0) return range(Number(spec.slice(0, dash)), Number(spec.slice(dash + 1)));
  return range(Number(spec), Number(spec));
}

/** Words of a history line as bash's history expansion splits them (quotes kept). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote !== null) {
      current += c;
      if (c === quote) quote = null;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      current += c + line[++i];
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      current += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (current !== '') words.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (current !== '') words.push(current);
  return words;
}
