import { createInterface, type Interface } from 'node:readline';
import { PassThrough, Writable } from 'node:stream';

export interface PromptEditorHooks {
  /** What the editor draws (prompt, echo, cursor moves): to the user and the recording. */
  write(data: Buffer): void;
  /** A line the user submitted (Enter), without its newline; a pasted block keeps its newlines. */
  line(text: string): void;
  /** Ctrl-C at the prompt: the line is dropped. */
  interrupt(): void;
  /** Ctrl-D on an empty line. */
  end(): void;
  /** Tab: candidates for the word before the cursor (`line` up to the cursor). */
  complete(line: string): Promise<[string[], string]>;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
/** Asks the user's terminal to mark pastes (bracketed paste mode), and to stop doing so. */
export const BRACKETED_PASTE_ON = Buffer.from('\x1b[?2004h');
export const BRACKETED_PASTE_OFF = Buffer.from('\x1b[?2004l');

/** What the user typed, in order: single keys, and whole bracketed pastes. */
type InputEvent = { readonly key: string } | { readonly paste: string };

/**
 * The line editor the user types into: changeguard's own, not the device's. What the user
 * submits is exactly the text judged and sent; no key binding, history expansion or macro of
 * the device's shell can change it on the way (docs/ARCHITECTURE.md, "Capture protocol").
 * Node's readline gives the usual keys: cursor movement, Ctrl-A/E/K/U/W/L, history with the
 * arrow keys, Tab completion.
 *
 * Like a shell, it reads one line at a time: keys typed after Enter (type-ahead, the rest of
 * a paste) wait, unseen, for the next prompt. A bracketed paste of several lines is one block:
 * shown under the prompt, submitted whole by Enter (judged as one: nothing runs if any part
 * is refused), dropped by Ctrl-C.
 */
export class PromptEditor {
  private readonly input = new PassThrough();
  private readonly output: Writable & { columns: number; rows: number; isTTY: boolean };
  private readonly rl: Interface;
  private closed = false;
  /** True between a prompt and the Enter that submits its line. */
  private accepting = false;
  private pending: InputEvent[] = [];
  /** Undecoded input: a paste or escape sequence not complete yet. */
  private partial = '';
  /** A multi-line paste shown under the prompt, waiting for Enter or Ctrl-C. */
  private block: string | null = null;

  constructor(
    private readonly hooks: PromptEditorHooks,
    size: { cols: number; rows: number },
  ) {
    const output = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (!this.closed) hooks.write(Buffer.from(chunk));
        callback();
      },
    }) as Writable & { columns: number; rows: number; isTTY: boolean };
    output.columns = size.cols;
    output.rows = size.rows;
    output.isTTY = true;
    this.output = output;
    this.rl = createInterface({
      input: this.input,
      output,
      terminal: true,
      historySize: 1000,
      removeHistoryDuplicates: true,
      tabSize: 8,
      completer: (line: string, callback: (error: Error | null, result: [string[], string]) => void) => {
        hooks.complete(line).then(
          (result) => callback(null, result),
          () => callback(null, [[], line]),
        );
      },
    });
    this.rl.on('line', (text) => this.submit(text));
    this.rl.on('SIGINT', () => {
      // Like a shell: the line is abandoned, not submitted, and a new prompt follows.
      hooks.write(Buffer.from('^C\r\n'));
      this.rl.write(null, { ctrl: true, name: 'e' });
      this.rl.write(null, { ctrl: true, name: 'u' });
      this.accepting = false;
      hooks.interrupt();
    });
    this.rl.on('SIGTSTP', () => undefined);
    this.rl.on('close', () => {
      if (!this.closed) hooks.end();
    });
  }

  /** Keys from the user while no program runs. */
  feed(data: Buffer): void {
    if (this.closed) return;
    for (const event of this.decode(data.toString('latin1'))) {
      if (this.accepting) this.handle(event);
      else this.pending.push(event);
    }
  }

  /** Draws `prompt`, then lets the keys typed ahead of it through. */
  prompt(prompt: string): void {
    if (this.closed) return;
    this.hooks.write(BRACKETED_PASTE_ON);
    this.rl.setPrompt(prompt);
    this.rl.prompt(false);
    this.accepting = true;
    while (this.accepting && this.pending.length > 0) this.handle(this.pending.shift() as InputEvent);
  }

  resize(cols: number, rows: number): void {
    this.output.columns = cols;
    this.output.rows = rows;
    this.output.emit('resize');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rl.close();
    this.input.destroy();
  }

  private submit(text: string): void {
    this.accepting = false;
    this.hooks.line(text);
  }

  private handle(event: InputEvent): void {
    if ('paste' in event) {
      this.pasted(event.paste);
      return;
    }
    if (this.block !== null) {
      this.blockKey(event.key);
      return;
    }
    // One key per write: given several at once, readline inserts typed text at the end of
    // the line whatever cursor keys came before it.
    this.input.write(Buffer.from(event.key, 'utf8'));
  }

  /** Splits input into keys and bracketed pastes, keeping an unfinished one for the next chunk. */
  private decode(latin1: string): InputEvent[] {
    const events: InputEvent[] = [];
    let text = this.partial + latin1;
    this.partial = '';
    while (text.length > 0) {
      const start = text.indexOf(PASTE_START);
      const plainBytes = Buffer.from(start < 0 ? text : text.slice(0, start), 'latin1');
      // A character cut in two by the chunk boundary waits for its other bytes.
      const cut = start < 0 ? incompleteUtf8Tail(plainBytes) : 0;
      const { keys, rest } = splitKeys(plainBytes.subarray(0, plainBytes.length - cut).toString('utf8'));
      for (const key of keys) events.push({ key });
      if (start < 0) {
        this.partial = Buffer.from(rest, 'utf8').toString('latin1') + plainBytes.subarray(plainBytes.length - cut).toString('latin1');
        break;
      }
      const end = text.indexOf(PASTE_END, start + PASTE_START.length);
      if (end < 0) {
        this.partial = text.slice(start);
        break;
      }
      events.push({ paste: Buffer.from(text.slice(start + PASTE_START.length, end), 'latin1').toString('utf8') });
      text = text.slice(end + PASTE_END.length);
    }
    return events;
  }

  private pasted(text: string): void {
    const normalised = text.replace(/\r\n?/g, '\n');
    if (this.block === null && !/[\n\t]/.test(normalised)) {
      for (const key of splitKeys(normalised).keys) this.input.write(key);
      return;
    }
    const current = this.block ?? this.rl.line;
    if (this.block === null) {
      this.rl.write(null, { ctrl: true, name: 'e' });
      this.rl.write(null, { ctrl: true, name: 'u' });
    }
    this.block = current + normalised.replace(/\n$/, '');
    this.hooks.write(Buffer.from(normalised.replace(/\n$/, '').replace(/\n/g, '\r\n> '), 'utf8'));
  }

  /** Keys while a pasted block waits: Enter submits it, Ctrl-C drops it, others are ignored. */
  private blockKey(key: string): void {
    if (key === '\r' || key === '\n') {
      const block = this.block as string;
      this.block = null;
      this.hooks.write(Buffer.from('\r\n'));
      this.submit(block);
    } else if (key === '\x03') {
      this.block = null;
      this.hooks.write(Buffer.from('^C\r\n'));
      this.accepting = false;
      this.hooks.interrupt();
    }
  }
}

/** How many bytes at the end of `bytes` begin a UTF-8 character that is not complete. */
function incompleteUtf8Tail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * Splits typed text into keys: escape sequences whole, other characters one by one. An
 * escape sequence cut off at the end is returned as `rest`.
 */
export function splitKeys(text: string): { keys: string[]; rest: string } {
  const keys: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '\x1b') {
      let j = i + 1;
      if (j >= text.length) break;
      if (text[j] === '[') {
        j++;
        while (j < text.length && !/[\x40-\x7e]/.test(text[j] as string)) j++;
        if (j >= text.length) break;
        j++;
      } else if (text[j] === 'O') {
        if (j + 1 >= text.length) break;
        j += 2;
      } else {
        j++;
      }
      keys.push(text.slice(i, j));
      i = j;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i) as number);
    keys.push(ch);
    i += ch.length;
  }
  return { keys, rest: text.slice(i) };
}
