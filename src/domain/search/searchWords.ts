/**
 * How command lines are searched: by words. A word is a run of letters and digits (any
 * script), compared without case and without accents; a searched word matches every word
 * that starts with it. `nginx restart` finds `sudo systemctl restart nginx.service`, and
 * `/etc/ngin` finds `cat /etc/nginx/nginx.conf`. Both stores index the same words (SQLite's
 * FTS5 `unicode61` tokenizer splits this way; MongoDB documents carry these words), so a
 * search gives the same answers on either.
 */

/** More words add nothing a person types into a search box; fewer keeps queries bounded. */
export const MAX_SEARCH_WORDS = 8;
/** Longer words are cut: a prefix this long already names one word. */
export const MAX_SEARCH_WORD_LENGTH = 40;

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;

/** Every distinct word of a text, folded (lower case, accents removed), in order of appearance. */
export function wordsOf(text: string): string[] {
  const folded = text.normalize('NFKD').replace(MARKS, '').toLowerCase();
  return [...new Set(folded.match(WORD) ?? [])];
}

/** The words a search asks for: at most MAX_SEARCH_WORDS, each cut to MAX_SEARCH_WORD_LENGTH. */
export function searchWords(text: string): string[] {
  return [...new Set(wordsOf(text).map((word) => word.slice(0, MAX_SEARCH_WORD_LENGTH)))].slice(0, MAX_SEARCH_WORDS);
}
