/**
 * One line of an asciicast v2 recording, as the proxy writes it: the header object first, then
 * `[seconds, "o" | "i" | "r", data]` events. A line that is neither is `unreadable` (a reader
 * skips it rather than failing a whole recording over it).
 */
export type AsciicastLine =
  | { readonly kind: 'header'; readonly width: number; readonly height: number }
  | { readonly kind: 'output'; readonly data: string }
  | { readonly kind: 'input'; readonly data: string }
  | { readonly kind: 'resize'; readonly cols: number; readonly rows: number }
  | { readonly kind: 'unreadable' };

const UNREADABLE: AsciicastLine = { kind: 'unreadable' };
const SIZE = /^(\d{1,4})x(\d{1,4})$/;

export function parseAsciicastLine(line: string): AsciicastLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return UNREADABLE;
  }
  if (Array.isArray(value)) {
    const [, code, data] = value as unknown[];
    if (typeof data !== 'string') return UNREADABLE;
    if (code === 'o') return { kind: 'output', data };
    if (code === 'i') return { kind: 'input', data };
    const size = code === 'r' ? SIZE.exec(data) : null;
    return size ? { kind: 'resize', cols: Number(size[1]), rows: Number(size[2]) } : UNREADABLE;
  }
  if (value !== null && typeof value === 'object') {
    const { version, width, height } = value as Record<string, unknown>;
    if (version === 2 && isSize(width) && isSize(height)) return { kind: 'header', width, height };
  }
  return UNREADABLE;
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 10_000;
}

/**
 * An exec session has no terminal: its program writes bare line feeds, which a terminal's line
 * discipline would have turned into CR LF. Adds the CR before each LF not already after one;
 * `previousWasCr` carries across calls (a CR at the end of one chunk, the LF in the next).
 */
export function withCarriageReturns(data: string, previousWasCr: boolean): { readonly data: string; readonly previousWasCr: boolean } {
  let out = '';
  let afterCr = previousWasCr;
  for (const char of data) {
    if (char === '\n' && !afterCr) out += '\r';
    out += char;
    afterCr = char === '\r';
  }
  return { data: out, previousWasCr: afterCr };
}
