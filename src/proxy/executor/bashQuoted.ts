import { decodeAnsiC } from '../../domain/shell/words.js';

/**
 * Reads back what bash's `printf %q` wrote: backslash escapes, '...' and $'...' quoting.
 * The executor reports directories and commands this way so no byte of them can end or fake
 * a marker.
 */
export function decodeBashQuoted(text: string): string {
  return splitBashQuoted(text).join(' ');
}

/** Words of a `printf '%q '`-joined list. */
export function splitBashQuoted(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      current += text.slice(i + 1, stop);
      i = stop;
    } else if (c === '$' && text[i + 1] === "'") {
      let j = i + 2;
      while (j < text.length && text[j] !== "'") j += text[j] === '\\' ? 2 : 1;
      current += decodeAnsiC(text.slice(i + 2, j));
      i = j;
    } else {
      current += c;
    }
  }
  if (inWord) words.push(current);
  return words;
}
