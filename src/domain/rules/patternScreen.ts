/**
 * One regular expression that matches a text whenever any of several rule patterns would
 * match it: `(?:p1)|(?:p2)|...`. A command text it does not match skips all of them in one
 * test instead of one test per pattern (50 patterns that could match any program cost more
 * than the rest of judging a command). A text it matches is then tested pattern by pattern,
 * as before, so the rules that matched and their verdict are the same.
 *
 * Alternation keeps each pattern's meaning, except for references to capture groups: group
 * numbers shift and a `\k` or `\1` may come to name another pattern's group. Patterns with
 * such references are left out (`screenable`), and their rules are always tested.
 */
const GROUP_REFERENCE = /\\[1-9]|\\k/;

/** Longer alternations are not built: irregexp refuses expressions past a size, and the gain is already made. */
const MAX_SCREEN_SOURCE = 20_000;

/** True when `pattern` means the same inside an alternation with others. */
export function screenable(pattern: string): boolean {
  return !GROUP_REFERENCE.test(pattern);
}

/**
 * The alternation of `patterns` (each valid on its own and screenable), or undefined when
 * there is nothing to gain (fewer than two) or it cannot be built (too long, or two patterns
 * name the same group, which this engine may refuse).
 */
export function patternScreen(patterns: readonly string[]): RegExp | undefined {
  if (patterns.length < 2) return undefined;
  const source = patterns.map((p) => `(?:${p})`).join('|');
  if (source.length > MAX_SCREEN_SOURCE) return undefined;
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

/** Whether `text` may match one of the screened patterns: true also when the screen fails to run. */
export function passesScreen(screen: RegExp | undefined, text: string): boolean {
  if (screen === undefined) return true;
  try {
    return screen.test(text);
  } catch {
    return true;
  }
}
