import headless from '@xterm/headless';
import type { IMarker, Terminal as HeadlessTerminal } from '@xterm/headless';
import { parseMarker } from './outputScanner.js';

const { Terminal } = headless;

export type LineRead =
  | { readonly ok: true; readonly text: string; readonly continuation: boolean }
  | { readonly ok: false; readonly reason: string };

interface InputStart {
  readonly marker: IMarker;
  readonly col: number;
  /** The prompt's last row up to the input, as drawn when the B marker was parsed. */
  readonly prompt: string;
  readonly continuation: boolean;
}

/** readline replaces the prompt while searching history: `(reverse-i-search)`rm': rm -rf /tmp`. */
const INCREMENTAL_SEARCH = /^\((?:failed )?(?:reverse-)?i-search\)`[^']*': /;

/**
 * A headless terminal that mirrors the upstream screen while a command line is edited (from
 * the prompt's A marker to the command's C marker, never during command output), so the
 * line the user submits is read as the shell drew it: after editing keys, history recall,
 * tab completion and pastes. Writes are parsed asynchronously and never on the relay path.
 */
export class LineReader {
  private readonly term: HeadlessTerminal;
  private start: InputStart | null = null;
  private pending = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(cols: number, rows: number, nonce: string) {
    this.term = new Terminal({ cols: clampCols(cols), rows: clampRows(rows), scrollback: 500, allowProposedApi: true });
    this.term.parser.registerOscHandler(133, (data) => {
      const marker = parseMarker(data, nonce);
      if (marker?.kind === 'B') this.markInputStart(marker.continuation);
      return true;
    });
  }

  /** Starts from a blank screen, as readline assumes a prompt starts in column 0. */
  reset(): void {
    // Through the write queue, so it lands in order with the writes before and after it.
    this.write(Buffer.from('\x1bc', 'latin1'), () => {
      this.start?.marker.dispose();
      this.start = null;
    });
  }

  write(data: Uint8Array, parsed?: () => void): void {
    this.pending++;
    this.term.write(data, () => {
      parsed?.();
      this.pending--;
      if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
  }

  resize(cols: number, rows: number): void {
    this.term.resize(clampCols(cols), clampRows(rows));
  }

  /** Resolves once everything written so far has been parsed. */
  whenParsed(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * The command line from the input start to the end of the input, logical lines joined by
   * newlines, soft-wrapped rows joined as they are. Fails (so the caller blocks) when no
   * prompt was seen or the prompt is no longer where it was drawn.
   */
  read(): LineRead {
    const start = this.start;
    if (!start || start.marker.isDisposed || start.marker.line < 0) return { ok: false, reason: 'no prompt on screen' };
    const buffer = this.term.buffer.active;
    if (buffer.type === 'alternate') return { ok: false, reason: 'a full-screen program is on screen' };
    const first = buffer.getLine(start.marker.line);
    if (!first) return { ok: false, reason: 'the prompt scrolled away' };
    let fromCol = start.col;
    if (first.translateToString(false, 0, start.col) !== start.prompt) {
      const search = INCREMENTAL_SEARCH.exec(first.translateToString(true));
      if (!search) return { ok: false, reason: 'the prompt was redrawn differently' };
      fromCol = search[0].length;
    }
    let last = buffer.length - 1;
    while (last > start.marker.line && buffer.getLine(last)?.translateToString(true) === '') last--;
    let text = '';
    for (let row = start.marker.line; row <= last; row++) {
      const line = buffer.getLine(row);
      if (!line) break;
      const continuesOnNext = row < last && (buffer.getLine(row + 1)?.isWrapped ?? false);
      if (row > start.marker.line && !line.isWrapped) text += '\n';
      text += line.translateToString(!continuesOnNext, row === start.marker.line ? fromCol : 0);
    }
    return { ok: true, text: trimTrailingSpaces(text), continuation: start.continuation };
  }

  dispose(): void {
    this.start?.marker.dispose();
    this.term.dispose();
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private markInputStart(continuation: boolean): void {
    const marker = this.term.registerMarker(0);
    if (!marker) return;
    this.start?.marker.dispose();
    const col = this.term.buffer.active.cursorX;
    const prompt = this.term.buffer.active.getLine(marker.line)?.translateToString(false, 0, col) ?? '';
    this.start = { marker, col, prompt, continuation };
  }
}

function clampCols(cols: number): number {
  return Math.max(2, Math.min(1000, Math.floor(cols) || 80));
}

function clampRows(rows: number): number {
  return Math.max(1, Math.min(500, Math.floor(rows) || 24));
}

/**
 * Spaces at the end of the input are screen residue (readline erases with "\b \b") or the
 * space completion adds: not part of what the shell runs, except one escaped by a backslash.
 */
function trimTrailingSpaces(text: string): string {
  const trimmed = text.replace(/ +$/, '');
  return trimmed.endsWith('\\') && trimmed.length < text.length ? `${trimmed} ` : trimmed;
}
