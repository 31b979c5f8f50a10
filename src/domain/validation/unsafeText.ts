/**
 * Characters that make text read differently from what it is: C0 and C1 controls (NUL,
 * terminal escape sequences), Unicode bidirectional embeddings, overrides and isolates (the
 * "Trojan Source" trick: an approver would read a script other than the one that runs), and
 * lone surrogates (text that cannot be encoded as UTF-8). Tabs always pass; line breaks pass
 * where the field is multi-line.
 */
const UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSAFE_ON_ONE_LINE = new RegExp(`${UNSAFE.source}|[\\n\\r]`);

const NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL',
  0x1b: 'escape',
  0x7f: 'delete',
  0x9b: 'C1 CSI',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
};

export interface UnsafeCharacter {
  /** 1-based position in the text, in characters. */
  readonly position: number;
  readonly codePoint: number;
}

export function findUnsafeCharacter(text: string, options: { multiline?: boolean } = {}): UnsafeCharacter | null {
  const match = (options.multiline ? UNSAFE : UNSAFE_ON_ONE_LINE).exec(text);
  if (!match) return null;
  return { position: [...text.slice(0, match.index)].length + 1, codePoint: text.charCodeAt(match.index) };
}

/** `contains an invisible character (U+202E right-to-left override) at character 13` */
export function describeUnsafeCharacter(found: UnsafeCharacter): string {
  const hex = `U+${found.codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const kind = found.codePoint >= 0xd800 && found.codePoint <= 0xdfff ? 'half of a character (a lone surrogate)' : found.codePoint === 0x0a || found.codePoint === 0x0d ? 'a line break' : 'an invisible control character';
  const name = NAMES[found.codePoint];
  return `contains ${kind} (${hex}${name ? ` ${name}` : ''}) at character ${found.position}`;
}

/** For schemas: the message, or null when the text is safe to show. */
export function unsafeTextProblem(text: string, options: { multiline?: boolean } = {}): string | null {
  const found = findUnsafeCharacter(text, options);
  return found ? describeUnsafeCharacter(found) : null;
}
